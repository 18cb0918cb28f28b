"""`models.queries.ops`: the operations read model, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.queries import ops
from models.tables import BreakerState, DealReason, NotificationStatus

from .conftest import Seeded


def test_failure_rates_count_finished_scans_per_marketplace_worst_first(session: Session, seeded: Seeded) -> None:
    rates = ops.failure_rates(session, seeded.now - timedelta(hours=1))
    assert [(r.marketplace, r.runs, r.failures, r.failure_rate) for r in rates] == [
        ("craigslist", 2, 1, 0.5),
        ("ebay", 4, 2, 0.5),
        ("demo", 1, 0, 0.0),  # the skipped demo scan is not counted
    ]


def test_failures_group_by_marketplace_and_error_class_with_the_newest_message(
    session: Session, seeded: Seeded
) -> None:
    groups = ops.failures_by_marketplace_and_class(session, seeded.now - timedelta(hours=1))
    assert [(g.marketplace, g.error_class, g.count, g.example) for g in groups] == [
        ("ebay", "rate_limited", 2, "HTTP 429 from api.ebay.com"),
        ("craigslist", "markup_changed", 1, "no result rows found"),
    ]
    assert groups[0].last_at == seeded.now - timedelta(minutes=5)


def test_error_classes_over_a_longer_window_and_per_marketplace(session: Session, seeded: Seeded) -> None:
    day = seeded.now - timedelta(days=1)
    assert [(e.error_class, e.count) for e in ops.error_classes(session, day)] == [
        ("rate_limited", 2),
        ("markup_changed", 1),
        ("timeout", 1),
    ]
    assert [(e.error_class, e.count) for e in ops.error_classes(session, day, marketplace="ebay")] == [
        ("rate_limited", 2),
        ("timeout", 1),
    ]


def test_recent_failures_are_newest_first_with_their_search_name(session: Session, seeded: Seeded) -> None:
    failures = ops.recent_failures(session, limit=3)
    assert [(f.marketplace, f.search_name, f.error_class) for f in failures] == [
        ("ebay", "Fender Strat", "rate_limited"),
        ("ebay", "Fender Strat", "rate_limited"),
        ("craigslist", "Leica M6", "markup_changed"),
    ]
    assert len(ops.recent_failures(session, since=seeded.now - timedelta(hours=1))) == 3


def test_marketplace_overview_merges_breaker_pause_and_task_log(session: Session, seeded: Seeded) -> None:
    overview = {item.marketplace: item for item in ops.marketplace_overview(session, seeded.now - timedelta(hours=1))}
    assert sorted(overview) == ["craigslist", "demo", "ebay", "mercari"]
    ebay = overview["ebay"]
    assert (ebay.breaker_state, ebay.consecutive_failures, ebay.failure_rate) == (BreakerState.OPEN, 5, 0.5)
    assert ebay.last_success_at == seeded.now - timedelta(minutes=10)
    assert overview["craigslist"].paused and overview["craigslist"].pause_reason == "markup changed, fixing"
    assert overview["craigslist"].last_success_at == seeded.now - timedelta(minutes=40)  # from the task log
    assert overview["demo"].breaker_state is BreakerState.CLOSED  # scanned, no state row yet
    assert (overview["mercari"].runs, overview["mercari"].last_success_at) == (0, seeded.now - timedelta(days=2))


def test_outbox_and_deal_counts_list_every_status_and_reason(session: Session, seeded: Seeded) -> None:
    assert ops.outbox_counts(session) == {
        NotificationStatus.PENDING: 2,
        NotificationStatus.SENT: 1,
        NotificationStatus.FAILED: 1,
    }
    assert ops.deal_counts(session) == dict.fromkeys(DealReason, 0)
    assert ops.listing_counts(session) == {("ebay", "active"): 1}


def test_workers_newest_first(session: Session, seeded: Seeded) -> None:
    assert [w.worker_id for w in ops.workers(session)] == ["host-a:1", "host-b:2"]
    newest = ops.last_heartbeat(session)
    assert newest is not None and newest.seen_at == seeded.now - timedelta(seconds=20)


def test_slow_searches_average_finished_marketplace_scans(session: Session, seeded: Seeded) -> None:
    timings = ops.slow_searches(session, seeded.now - timedelta(hours=1))
    assert [(t.name, t.scans, t.avg_seconds, t.max_seconds) for t in timings] == [
        ("Leica M6", 3, 6.0, 8.0),
        ("Fender Strat", 4, 1.25, 2.0),
    ]
    day = ops.slow_searches(session, seeded.now - timedelta(days=1), limit=1)
    assert [(t.name, t.avg_seconds, t.max_seconds) for t in day] == [("Leica M6", 6.0, 8.0)]
