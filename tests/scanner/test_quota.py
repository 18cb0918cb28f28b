"""The daily API call count in the database, on both databases: what scans hand metered adapters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.engine import Engine

from scanner.quota import DatabaseQuota, calls_today, quota_status, record_calls
from tests.clock import Clock

NOW = datetime(2026, 3, 5, 15, 30, 20, tzinfo=UTC)


def test_record_calls_adds_to_todays_count_and_returns_the_total(engine: Engine) -> None:
    assert record_calls(engine, "ebay", 1, NOW) == 1
    assert record_calls(engine, "ebay", 4, NOW) == 5
    assert calls_today(engine, "ebay", NOW) == 5
    assert calls_today(engine, "mercari", NOW) == 0


def test_calls_are_counted_per_utc_day(engine: Engine) -> None:
    record_calls(engine, "ebay", 3, datetime(2026, 3, 5, 23, 59, tzinfo=UTC))
    record_calls(engine, "ebay", 2, datetime(2026, 3, 6, 0, 1, tzinfo=UTC))
    evening_in_new_york = datetime(2026, 3, 5, 19, 30, tzinfo=timezone(timedelta(hours=-5)))  # 00:30 UTC
    assert calls_today(engine, "ebay", datetime(2026, 3, 5, 12, 0, tzinfo=UTC)) == 3
    assert calls_today(engine, "ebay", evening_in_new_york) == 2


def test_concurrent_increments_are_never_lost(engine: Engine) -> None:
    def spend() -> None:
        for _ in range(25):
            record_calls(engine, "ebay", 1, NOW)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls_today(engine, "ebay", NOW) == 200


def test_quota_status_reports_use_slowdown_and_exhaustion(engine: Engine) -> None:
    record_calls(engine, "ebay", 4000, NOW)
    status = quota_status(engine, "ebay", 5000, NOW)
    assert (status.calls, status.remaining, status.slow, status.exhausted) == (4000, 1000, True, False)
    assert status.describe() == "ebay: 4000 of 5000 API calls used on 2026-03-05 (UTC)"
    record_calls(engine, "ebay", 1000, NOW)
    assert quota_status(engine, "ebay", 5000, NOW).exhausted


def test_database_quota_counts_one_marketplace_on_its_clocks_day(engine: Engine) -> None:
    clock = Clock(NOW)
    quota = DatabaseQuota(engine, "ebay", clock)
    quota.record_call()
    quota.record_call()
    assert quota.status(2).exhausted
    assert calls_today(engine, "mercari", NOW) == 0
    clock.advance(hours=9)  # past midnight UTC: a new day's allowance
    assert (quota.status(2).calls, quota.status(2).day.isoformat()) == (0, "2026-03-06")
