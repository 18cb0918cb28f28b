"""Whole scans against the local demo marketplace, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import scanner.scan
from demo_market import DemoMarket
from models import crud
from models.operations import pause_marketplace
from models.schemas import SearchInput
from models.settings import Settings
from models.tables import Listing, MarketplaceState, PriceObservation, Search, SearchMatch, TaskLog, TaskStatus
from models.types import utcnow
from scanner import breaker
from scanner.marketplaces.demo import DemoAdapter
from scanner.scan import run_scan
from scanner.tasks import ScanIncomplete
from scanner.worker import Worker
from tests.clock import Clock


def add_search(engine: Engine, **fields: object) -> int:
    data = {"name": "Guitars", "query": "guitar", "marketplaces": ["demo"], **fields}
    with Session(engine) as session:
        search = crud.create_search(session, SearchInput.parse(data, min_interval_minutes=1))
        session.commit()
        return search.id


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def logs(engine: Engine) -> list[TaskLog]:
    with Session(engine) as session:
        return list(session.exec(select(TaskLog).order_by(TaskLog.id)))


def market_prices(market: DemoMarket, settings: Settings) -> dict[str, Decimal | None]:
    """What the market shows right now for `guitar` on the pages a scan reads."""
    adapter, url, prices = (
        DemoAdapter(market.url),
        DemoAdapter(market.url).search_url(
            scanner.scan.search_query(Search(name="x", query="guitar", marketplaces=["demo"]), settings)
        ),
        {},
    )
    for _ in range(settings.scan_max_pages):
        page = adapter.read_page(requests.get(url, timeout=5).text, source_url=url)
        for listing in page.listings:
            prices.setdefault(listing.external_id, listing.price)
        if page.next_url is None:
            break
        url = page.next_url
    return prices


def test_a_scan_stores_listings_prices_and_matches(engine: Engine, scan_settings: Settings) -> None:
    search_id = add_search(engine)
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert summary.errors == [] and summary.found >= 20
    assert count(engine, Listing) == summary.new == count(engine, SearchMatch)
    assert count(engine, PriceObservation) > 0
    [entry] = logs(engine)
    assert (entry.status, entry.marketplace, entry.task_id) == (TaskStatus.SUCCESS, "demo", "t1")
    assert entry.listings_found == summary.found and entry.listings_new == summary.new
    with Session(engine) as session:
        assert session.get(Search, search_id).last_scanned_at is not None


def test_a_second_scan_after_prices_moved_adds_exactly_the_changes(
    engine: Engine, scan_settings: Settings, market: DemoMarket, clock: Clock
) -> None:
    search_id = add_search(engine)
    before = market_prices(market, scan_settings)
    run_scan(engine, scan_settings, search_id, task_id="t1")
    observations = count(engine, PriceObservation)
    clock.advance(minutes=30)
    after = market_prices(market, scan_settings)
    changed = {key for key, price in after.items() if key in before and price is not None and before[key] != price}
    assert changed, "the demo market should move some prices in half an hour"
    first_prices = {key for key, price in after.items() if key not in before and price is not None}
    summary = run_scan(engine, scan_settings, search_id, task_id="t2")
    assert summary.price_changes == len(changed)
    assert count(engine, PriceObservation) == observations + len(changed) + len(first_prices)


def test_scanning_the_same_page_twice_changes_nothing_but_last_seen(engine: Engine, scan_settings: Settings) -> None:
    search_id = add_search(engine)
    run_scan(engine, scan_settings, search_id, task_id="t1")
    rows = (count(engine, Listing), count(engine, PriceObservation), count(engine, SearchMatch))
    summary = run_scan(engine, scan_settings, search_id, task_id="t2")
    assert (summary.new, summary.price_changes) == (0, 0)
    assert (count(engine, Listing), count(engine, PriceObservation), count(engine, SearchMatch)) == rows


def test_the_first_stored_scan_is_the_baseline_and_later_new_listings_are_deals(
    engine: Engine, scan_settings: Settings, market: DemoMarket
) -> None:
    search_id = add_search(engine, alert_new_listings=True)
    market.fail_mode, market.fail_rate = "500", 1.0
    assert run_scan(engine, scan_settings, search_id, task_id="failed").errors  # stores nothing: no baseline yet
    market.fail_rate = 0.0
    baseline = run_scan(engine, scan_settings, search_id, task_id="baseline")
    assert baseline.new > 0 and baseline.deals == 0
    market.post("guitar", Decimal(640))
    assert run_scan(engine, scan_settings, search_id, task_id="next").deals == 1


def test_two_workers_scanning_one_search_leave_no_duplicates(
    engine: Engine, scan_settings: Settings, worker: Worker, market: DemoMarket
) -> None:
    search_id = add_search(engine)
    market.latency = 0.3  # both workers are inside the scan at the same time
    results: list[dict[str, object]] = []
    scan = worker.tasks.scan_search
    threads = [threading.Thread(target=lambda: results.append(scan.call_local(search_id))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result["skipped"] == "already being scanned" for result in results) == [False, True]
    assert [entry.status for entry in logs(engine)] == [TaskStatus.SUCCESS]
    with Session(engine) as session:
        duplicates = session.exec(
            select(Listing.external_id).group_by(Listing.marketplace, Listing.external_id).having(func.count() > 1)
        ).all()
    assert duplicates == []


def test_a_429_is_logged_as_rate_limited_and_retried_by_the_task(
    engine: Engine, scan_settings: Settings, market: DemoMarket
) -> None:
    search_id = add_search(engine)
    market.fail_mode, market.fail_rate = "429", 1.0
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert summary.errors[0]["error_class"] == "rate_limited"
    assert summary.retry_after is not None
    [entry] = logs(engine)
    assert (entry.status, entry.error_class) == (TaskStatus.FAILED, "rate_limited")


def test_a_retry_fetches_only_the_marketplaces_that_failed(
    engine: Engine, scan_settings: Settings, market: DemoMarket
) -> None:
    search_id = add_search(engine)
    first = run_scan(engine, scan_settings, search_id, task_id="same-task")
    hits = market.hits("/search")
    again = run_scan(engine, scan_settings, search_id, task_id="same-task")
    assert first.found > 0 and again.found == 0
    assert market.hits("/search") == hits


def test_the_task_raises_for_huey_to_retry_a_transient_failure(
    engine: Engine, scan_settings: Settings, market: DemoMarket, worker: Worker
) -> None:
    search_id = add_search(engine)
    market.fail_mode, market.fail_rate = "500", 1.0
    task = worker.tasks.scan_search.s(search_id)
    with pytest.raises(ScanIncomplete, match="demo \\(server_error\\)"):
        task.execute()


def test_the_breaker_opens_after_n_failures_skips_and_closes_after_a_good_trial(
    engine: Engine, scan_settings: Settings, market: DemoMarket
) -> None:
    search_id = add_search(engine)
    market.fail_mode, market.fail_rate = "500", 1.0
    for attempt in range(3):
        run_scan(engine, scan_settings, search_id, task_id=f"fail-{attempt}")
    hits = market.hits("/search")
    skipped = run_scan(engine, scan_settings, search_id, task_id="skipped")
    assert "circuit open" in skipped.skipped[0]["reason"]
    assert market.hits("/search") == hits
    market.fail_rate = 0.0
    time.sleep(scan_settings.breaker_cooldown_seconds + 0.2)
    trial = run_scan(engine, scan_settings, search_id, task_id="trial")
    assert trial.errors == [] and trial.found > 0
    assert [entry.status for entry in logs(engine)] == [TaskStatus.FAILED] * 3 + [
        TaskStatus.SKIPPED,
        TaskStatus.SUCCESS,
    ]
    with Session(engine) as session:
        assert breaker.check(session, "demo", utcnow(), scan_settings).allowed


def test_a_truncated_page_is_an_error_and_stores_nothing(
    engine: Engine, scan_settings: Settings, market: DemoMarket
) -> None:
    search_id = add_search(engine)
    market.fail_mode, market.fail_rate = "truncate", 1.0
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert summary.errors[0]["error_class"] == "markup_changed"
    assert count(engine, Listing) == 0 and count(engine, PriceObservation) == 0
    assert logs(engine)[0].error_class == "markup_changed"


def test_a_failure_while_storing_rolls_everything_back(
    engine: Engine, scan_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    search_id = add_search(engine)

    def explode(*_args: object, **_kwargs: object) -> list[object]:
        raise RuntimeError("deal rules crashed")

    monkeypatch.setattr("scanner.pipeline.deals.find_deals", explode)
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert summary.errors[0]["error_class"] == "internal"
    assert count(engine, Listing) == 0 and count(engine, SearchMatch) == 0
    assert logs(engine)[0].status is TaskStatus.FAILED


def test_a_paused_marketplace_is_skipped_with_its_reason(engine: Engine, scan_settings: Settings) -> None:
    search_id = add_search(engine)
    with Session(engine) as session:
        pause_marketplace(session, "demo", "maintenance window", utcnow())
        session.commit()
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert summary.skipped == [{"marketplace": "demo", "reason": "paused: maintenance window"}]
    [entry] = logs(engine)
    assert (entry.status, entry.error) == (TaskStatus.SKIPPED, "paused: maintenance window")


def _earlier_successes(engine: Engine, search_id: int, found: list[int]) -> None:
    with Session(engine) as session:
        for minutes, listings_found in enumerate(found, start=1):
            session.add(
                TaskLog(
                    task_name="scan_search",
                    task_id=f"earlier-{minutes}",
                    search_id=search_id,
                    marketplace="demo",
                    status=TaskStatus.SUCCESS,
                    listings_found=listings_found,
                    created_at=utcnow() - timedelta(minutes=15 * minutes),
                )
            )
        session.commit()


def test_no_listings_where_the_last_scans_found_dozens_is_a_suspect_failure(
    engine: Engine, scan_settings: Settings
) -> None:
    search_id = add_search(engine, query="theremin harpsichord")  # the demo market has none
    _earlier_successes(engine, search_id, [40, 38, 0, 41])
    summary = run_scan(engine, scan_settings, search_id, task_id="quiet")
    assert [error["error_class"] for error in summary.errors] == ["suspect_empty"]
    assert "found 38 (median)" in str(summary.errors[0]["error"])
    assert (logs(engine)[-1].status, logs(engine)[-1].error_class) == (TaskStatus.FAILED, "suspect_empty")
    with Session(engine) as session:
        assert breaker.check(session, "demo", utcnow(), scan_settings).allowed  # one failure: still closed
        assert session.exec(select(MarketplaceState.consecutive_failures)).one() == 1


def test_no_listings_for_a_search_that_rarely_finds_any_is_a_quiet_success(
    engine: Engine, scan_settings: Settings
) -> None:
    search_id = add_search(engine, query="theremin harpsichord")
    _earlier_successes(engine, search_id, [0, 2, 0])
    summary = run_scan(engine, scan_settings, search_id, task_id="quiet")
    assert summary.errors == [] and summary.found == 0
    assert logs(engine)[-1].status is TaskStatus.SUCCESS
