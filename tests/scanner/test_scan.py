"""Whole scans against the local demo marketplace, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import ConversionSyntax, Decimal, InvalidOperation
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import scanner.scan
from demo_market import DemoMarket
from models import crud
from models.operations import pause_marketplace
from models.schemas import SearchInput
from models.settings import Settings, load_settings
from models.tables import (
    Deal,
    ErrorClass,
    Listing,
    MarketplaceState,
    Notification,
    PriceObservation,
    Search,
    SearchMatch,
    TaskLog,
    TaskStatus,
)
from models.types import utcnow
from scanner import breaker
from scanner.errors import ScanError
from scanner.marketplaces.base import HttpClient, ListingData, MarketplaceAdapter, SearchQuery
from scanner.marketplaces.demo import DemoAdapter
from scanner.marketplaces.ebay import EbayAdapter
from scanner.marketplaces.jsonld import JsonLdAdapter
from scanner.marketplaces.mercari import MercariAdapter
from scanner.scan import read_listings, run_scan
from scanner.tasks import ScanIncomplete, ScanLock
from scanner.worker import Worker
from tests.clock import Clock

from .conftest import Canned, ScriptedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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


# --- hostile pages (issue 20): bounded time, one bad listing never costs the page ----------------


class CannedAdapter(MarketplaceAdapter):
    """Any marketplace, whose search returns what `read` makes (or raises, or spins on)."""

    name = "demo"

    def __init__(self, read: Callable[[], list[ListingData]]) -> None:
        self._read = read

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        return self._read()

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        raise NotImplementedError


def use_adapters(monkeypatch: pytest.MonkeyPatch, **reads: Callable[[], list[ListingData]]) -> None:
    """Scans get these adapters, by marketplace name."""
    adapters = {name: CannedAdapter(read) for name, read in reads.items()}
    monkeypatch.setattr(scanner.scan, "get_adapter", lambda name, quota=None: adapters[name])


def card(external_id: str, **fields: object) -> ListingData:
    values: dict[str, object] = {
        "external_id": external_id,
        "title": f"Fender Stratocaster guitar {external_id}",
        "url": f"https://shop.example/item/{external_id}",
        "price": Decimal("1500"),
        "currency": "USD",
        **fields,
    }
    return ListingData(**values)  # type: ignore[arg-type]


#: A card of each kind that lost its whole page (defects 4, 5 and 8 of issue 20).
BAD_CARDS = [
    card("twenty-digits", price=Decimal("99999999999999999999")),
    card("nan", price=Decimal("NaN")),
    card("infinity", price=Decimal("Infinity")),
    card("1e14", price=Decimal("1e14")),  # over NUMERIC(18, 4): PostgreSQL refused the page, SQLite kept it
    card("usdt", currency="USDT"),
    card("i" * 129),
    card("surrogate", title="Fender \ud800"),
    card("nul", title="Fender\x00Stratocaster"),
    card("negative", price=Decimal("-500")),
    card("dust", price=Decimal("0.00001")),
]


def test_bad_listings_are_refused_one_by_one_and_the_rest_of_the_page_is_stored(
    engine: Engine, scan_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = [card(f"good-{number}") for number in range(10)]
    use_adapters(monkeypatch, demo=lambda: [*good[:5], *BAD_CARDS, *good[5:]])
    search_id = add_search(engine, query="fender stratocaster")
    for attempt in range(5):  # five such scans once opened the breaker
        summary = run_scan(engine, scan_settings, search_id, task_id=f"t{attempt}")
        assert (summary.errors, summary.found, summary.rejected) == ([], 10, len(BAD_CARDS))
    with Session(engine) as session:
        stored = {row.external_id: (row.title, row.price, row.currency) for row in session.exec(select(Listing))}
        assert breaker.check(session, "demo", utcnow(), scan_settings).allowed
    assert stored == {item.external_id: (item.title, Decimal("1500.00"), "USD") for item in good}  # same on both
    entries = [(entry.status, entry.listings_found, entry.listings_rejected) for entry in logs(engine)]
    assert entries == [(TaskStatus.SUCCESS, 10, len(BAD_CARDS))] * 5


def test_a_demo_page_with_hostile_cards_is_read_quickly_and_stored_but_for_them(
    engine: Engine, scan_settings: Settings, http_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card priced `$` and 100,000 digits made one scan take 147 s; `-$500.00` was stored as +500."""
    page = (FIXTURES / "demo" / "laptop_results_page1.html").read_text()
    for real, hostile in [
        ("$665.00", "$" + "9" * 100_000),
        ("$390.00", "-$500.00"),
        ("$950.00", "$0.00001"),
        ('data-listing-id="L186647"', f'data-listing-id="{"L" * 200}"'),
    ]:
        page = page.replace(real, hostile, 1)
    http_server.script("/search", Canned(body=page.encode()))
    monkeypatch.setattr(scanner.scan, "get_adapter", lambda name, quota=None: DemoAdapter(http_server.url))
    search_id = add_search(engine, query="laptop")
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert (summary.errors, summary.found, summary.rejected) == ([], 16, 4)
    with Session(engine) as session:
        ids = set(session.exec(select(Listing.external_id)))
        assert len(ids) == 16 and not ids & {"L186650", "L186649", "L186648"}
        assert session.exec(select(func.min(Listing.price))).one() >= 0


def test_a_negative_or_dust_price_is_no_deal_and_no_alert(
    engine: Engine, scan_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`"price": -500` was stored and e-mailed as "$-500 … $1,500 under your target"; 0.00001 was a
    deal "at $0.00"."""
    cards = [card("negative", price=Decimal("-500")), card("dust", price=Decimal("0.00001")), card("real")]
    use_adapters(monkeypatch, demo=lambda: cards)
    search_id = add_search(
        engine, query="fender stratocaster", target_price="2000", alert_recipients=["me@example.com"]
    )
    summary = run_scan(engine, scan_settings, search_id, task_id="t1")
    assert (summary.deals, summary.rejected) == (1, 2)
    with Session(engine) as session:
        assert session.exec(select(Deal.total_price)).all() == [Decimal("1500.00")]
        assert count(engine, Notification) == 1


#: What parsers raised on strange pages, each for a marketplace of its own (the issue counted 17).
PARSER_EXCEPTIONS = {
    "demo": RecursionError("maximum recursion depth exceeded while decoding a JSON array"),  # deep nesting
    "ebay": ValueError("invalid literal for int() with base 10: 'x'"),  # "total": "x"
    "craigslist": OverflowError("cannot convert float infinity to integer"),  # "bidCount": 1e400
    "facebook": InvalidOperation([ConversionSyntax]),
    "mercari": KeyError("price"),
    "kijiji": TypeError("'NoneType' object is not subscriptable"),
}


def test_a_parser_exception_is_markup_changed_without_a_traceback(
    engine: Engine, scan_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def raising(error: Exception) -> Callable[[], list[ListingData]]:
        def broken_parser() -> list[ListingData]:
            raise error

        return broken_parser

    use_adapters(monkeypatch, **{name: raising(error) for name, error in PARSER_EXCEPTIONS.items()})
    summary = run_scan(engine, scan_settings, add_search(engine, marketplaces=list(PARSER_EXCEPTIONS)), task_id="t1")
    assert [(failure["marketplace"], failure["error_class"]) for failure in summary.errors] == [
        (name, "markup_changed") for name in PARSER_EXCEPTIONS
    ]
    for failure, error in zip(summary.errors, PARSER_EXCEPTIONS.values(), strict=True):
        assert f"{type(error).__name__}: " in failure["error"] and "(test_scan.py:" in failure["error"]
    assert {entry.error_class for entry in logs(engine)} == {"markup_changed"}
    assert not [record for record in caplog.records if record.exc_info]


def spin() -> list[ListingData]:
    """A parser that never ends (in Python: the budget's exception reaches it)."""
    while True:
        pass


def test_a_parse_over_the_cpu_budget_is_a_parse_timeout_and_the_lock_is_released(
    engine: Engine, scan_settings: Settings, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner.scan, "PARSE_CPU_SECONDS", 0.2)
    use_adapters(monkeypatch, demo=spin, ebay=lambda: [card("after")])
    search_id = add_search(engine, marketplaces=["demo", "ebay"])
    results: list[dict[str, object]] = []
    scanning = threading.Thread(target=lambda: results.append(worker.tasks.scan_search.call_local(search_id)))
    scanning.start()  # a worker's thread, as Huey runs scans: no signal can reach it
    scanning.join(timeout=30)
    [result] = results
    assert [(error["marketplace"], error["error_class"]) for error in result["errors"]] == [("demo", "parse_timeout")]
    assert result["found"] == 1  # the next marketplace was scanned by the same thread
    assert not ScanLock(worker.queue, search_id).is_locked()
    assert [(entry.marketplace, entry.status, entry.error_class) for entry in logs(engine)] == [
        ("demo", TaskStatus.FAILED, "parse_timeout"),
        ("ebay", TaskStatus.SUCCESS, None),
    ]


def read_within(seconds: float, read: Callable[[HttpClient], list[ListingData]], client: object = None) -> str:
    """The error class `read_listings` ends with, or "read"."""
    try:
        read_listings(read, client, cpu_seconds=seconds)  # type: ignore[arg-type]
    except ScanError as error:
        return error.error_class.value
    return "read"


def burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_the_budget_counts_cpu_time_in_the_adapter_and_stops_it_soon_after() -> None:
    started = time.thread_time()
    assert read_within(0.2, lambda _client: spin()) == "parse_timeout"
    assert time.thread_time() - started < 1.0
    burn(0.3)  # nothing is left pending for this thread once the budget is over


def test_fetching_does_not_count_and_each_page_has_a_budget_of_its_own() -> None:
    class SlowClient:
        def get(self, url: str, **_options: object) -> object:
            burn(0.4)  # decompressing, TLS: the client's, under its own timeouts
            return object()

    def read(client: HttpClient) -> list[ListingData]:
        for page in range(3):
            client.get(f"https://shop.example/search?page={page}")
            burn(0.15)  # 0.45 s for the three pages
        return [card("1")]

    assert read_within(0.3, read, SlowClient()) == "read"


def test_an_adapter_cannot_swallow_the_budget() -> None:
    def stubborn(_client: HttpClient) -> list[ListingData]:
        try:
            spin()
        except BaseException:  # noqa: BLE001  (the point: even this does not keep it going)
            return [card("1")]
        return []

    assert read_within(0.2, stubborn) == "parse_timeout"


def test_the_budget_waits_until_the_thread_leaves_code_that_holds_locks() -> None:
    """Raised inside `logging` between a lock's acquire and its `try`, the exception would leave the
    lock held: the watchdog waits until the thread is back in the adapter."""
    library: dict[str, object] = {"__name__": "logging.handlers_of_this_test", "burn": burn, "done": []}
    exec("def emit():\n    burn(0.5)\n    done.append(True)\n", library)  # a function of a module of that name

    def read(_client: HttpClient) -> list[ListingData]:
        library["emit"]()  # type: ignore[operator]
        spin()
        return []

    assert read_within(0.1, read) == "parse_timeout"
    assert library["done"] == [True]


def _browse_page(**changes: object) -> str:
    page = json.loads((FIXTURES / "ebay" / "browse_search_page1.json").read_text())
    page.update(changes)
    return json.dumps(page)


def _with_number(body: str, key: str, number: str) -> str:
    """`body` with every `"key": …` value of it replaced by a bare JSON number."""
    return re.sub(rf'"{key}": ?("[^"]*"|\d+)', f'"{key}": {number}', body)


@pytest.mark.parametrize(
    ("adapter", "body"),
    [
        pytest.param(EbayAdapter(load_settings()), _browse_page(total="x"), id="ebay total x"),
        pytest.param(
            EbayAdapter(load_settings()), _with_number(_browse_page(), "bidCount", "1e400"), id="ebay bidCount 1e400"
        ),
        pytest.param(
            MercariAdapter(),
            _with_number((FIXTURES / "mercari" / "search_page1.json").read_text(), "created", "1e300"),
            id="mercari created 1e300",
        ),
        pytest.param(
            JsonLdAdapter(load_settings()),
            f'<script type="application/ld+json">{"[" * 100_000}{"]" * 100_000}</script><h1>Lamp</h1>',
            id="json-ld nested 100,000 deep",
        ),
    ],
)
def test_what_broke_the_adapters_parsers_is_markup_changed(adapter: MarketplaceAdapter, body: str) -> None:
    with pytest.raises(ScanError) as raised:
        read_listings(lambda _client: adapter.parse(body, source_url="https://shop.example/p"), None, cpu_seconds=5)  # type: ignore[arg-type]
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED
