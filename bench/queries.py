"""The dashboard's reads on a large database: what the Deals, Price history and Operations pages
run on first load, each in its own session as the page opens one.

One database per backend, filled by `bench.data` (PostgreSQL at the full sizes, SQLite at
`sqlite_scale` of them) and analysed, then every figure measured on it. Each read is checked
to return what the data holds, so a fast empty answer cannot pass for a fast query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench import databases
from bench.data import Generated, Sizes, family_of, generate
from bench.measure import Figure, Target, format_number, timed_ms
from bench.options import Options
from models.queries import deals, history, ops, searches
from models.settings import load_settings
from models.tables import Search
from models.types import utcnow
from scanner import deals as deal_rules
from scanner.appraisal.junk import classify
from scanner.appraisal.listing import candidate
from scanner.appraisal.verdict import Appraisal
from scanner.comparables import MAX_CANDIDATES
from scanner.marketplaces.base import ListingData
from scanner.observed import ObservedListing

DEALS_TARGET = Target(50, "lower", "p95")
APPRAISAL_TARGET = Target(200, "lower", "p95")
SCAN_LISTINGS = 200
HISTORY_TARGET = Target(200, "lower", "p95")
OPERATIONS_TARGET = Target(100, "lower", "p95")
HISTORY_DAYS = 30  # the Price history page's default period


@dataclass(frozen=True)
class Read:
    """One page's first-load reads, and what they must have returned."""

    name: str
    how: str
    target: Target | None
    action: Callable[[Session], Any]
    check: Callable[[Any], None]  # raises when the answer is not what the data holds


def _deals_first_load(session: Session) -> tuple[dict[int, str], deals.DealFacets, list[deals.DealRow]]:
    return searches.search_names(session), deals.deal_facets(session), deals.list_deals(session, deals.DealFilter())


def _history(search_id: int) -> Callable[[Session], history.PriceHistory]:
    def read(session: Session) -> history.PriceHistory:
        return history.search_price_history(session, search_id, since=utcnow() - timedelta(days=HISTORY_DAYS))

    return read


def _failure_rates(session: Session) -> tuple[list[ops.MarketplaceStatus], list[ops.MarketplaceFailures]]:
    """The Operations page's marketplace table: the last hour's overview and the last day's rates."""
    now = utcnow()
    return ops.marketplace_overview(session, now - timedelta(hours=1)), ops.failure_rates(
        session, now - timedelta(days=1)
    )


def _operations_snapshot(session: Session) -> tuple[Any, ...]:
    """Everything `dashboard.data.operations_snapshot` reads."""
    day_ago = utcnow() - timedelta(days=1)
    return (
        _failure_rates(session),
        ops.error_classes(session, day_ago),
        ops.recent_failures(session, since=day_ago, limit=50),
        ops.outbox_counts(session),
        ops.workers(session),
    )


def _scan(generated: Generated) -> list[ObservedListing]:
    """What one scan of 200 listings hands the deal rules: the products the data holds, new ids."""
    stored = list(dict.fromkeys(family_of(number)[1] for number in range(1, generated.sizes.searches + 1)))
    observed = []
    for number in range(SCAN_LISTINGS):
        family = stored[number % len(stored)]
        seen = ListingData(
            f"scan-{number}",
            f"{family.name} – scanned",
            f"https://demo.example/{number}",
            family.market_price * Decimal("0.9"),
            "USD",
            condition="Used – Good",
        )
        judged = candidate(seen, -1 - number, classify(seen, family.name).for_search)
        observed.append(ObservedListing(-1 - number, "demo", seen, judged, False, None))
    return observed


def _appraise(generated: Generated) -> Callable[[Session], dict[int, Appraisal]]:
    scan, settings = _scan(generated), load_settings()
    search = Search(id=generated.history_search_id, name="bench", query="bench", market_discount_pct=Decimal(20))

    def read(session: Session) -> dict[int, Appraisal]:
        return deal_rules.appraise_observed(session, search, scan, now=generated.now, settings=settings)

    return read


def _check_appraisals(answer: dict[int, Appraisal]) -> None:
    _expect(
        len(answer) == SCAN_LISTINGS and all(one.market is not None for one in answer.values()),
        "a scanned listing of a stored product got no market price",
    )


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(f"bench.queries: {what}")


def _check_deal_rows(rows: list[deals.DealRow]) -> None:
    _expect(
        len(rows) > 0 and all(not row.dismissed and row.listing_status == "active" for row in rows),
        "the Deals page showed no deals, or dismissed or ended ones",
    )


def _check_first_load(answer: tuple[dict[int, str], deals.DealFacets, list[deals.DealRow]]) -> None:
    names, facets, rows = answer
    _expect(bool(names) and bool(facets.marketplaces) and bool(facets.reasons), "no searches or no deal facets")
    _check_deal_rows(rows)


def _check_history(expected: int) -> Callable[[history.PriceHistory], None]:
    def check(answer: history.PriceHistory) -> None:
        _expect(
            answer.observations == expected and answer.resolution != "raw" and bool(answer.points),
            f"the busy search charted {answer.observations} prices as {answer.resolution}, expected {expected}",
        )

    return check


def _check_rates(answer: tuple[list[ops.MarketplaceStatus], list[ops.MarketplaceFailures]]) -> None:
    hour, day = answer
    _expect(
        sum(item.runs for item in hour) > 0 and sum(item.failures for item in day) > 0,
        "no scans in the last hour or no failures in the last day",
    )


def _check_snapshot(answer: tuple[Any, ...]) -> None:
    rates, classes, failures, _outbox, _workers = answer
    _check_rates(rates)
    _expect(bool(classes) and bool(failures), "no error classes or failed tasks in the last day")


def reads(generated: Generated) -> list[Read]:
    sizes = generated.sizes
    data = (
        f"{_count(sizes.listings)} listings, {_count(sizes.observations)} prices, "
        f"{_count(sizes.searches)} searches, {_count(sizes.deals)} deals"
    )
    logs = f"{_count(sizes.task_logs)} task logs over 30 days"
    return [
        Read(
            "Deals page: deals query",
            f"{data}; DealFilter() (best first, 200)",
            DEALS_TARGET,
            lambda session: deals.list_deals(session, deals.DealFilter()),
            _check_deal_rows,
        ),
        Read(
            "Deals page: first load",
            f"{data}; names + facets + deals",
            DEALS_TARGET,
            _deals_first_load,
            _check_first_load,
        ),
        Read(
            "Price history: one search",
            f"{_count(sizes.history_observations)} prices in {HISTORY_DAYS} days "
            f"among {_count(sizes.observations)}; bucketed in SQL",
            HISTORY_TARGET,
            _history(generated.history_search_id),
            _check_history(sizes.history_observations),
        ),
        Read(
            "Operations: failure rate per marketplace",
            f"{logs}; last hour + last day",
            OPERATIONS_TARGET,
            _failure_rates,
            _check_rates,
        ),
        Read(
            "Deal rules: appraise a 200-listing scan",
            f"{data}; comparables of each product by product key, newest {MAX_CANDIDATES} each",
            APPRAISAL_TARGET,
            _appraise(generated),
            _check_appraisals,
        ),
        Read(
            "Operations page: whole snapshot",
            f"{logs}; rates, error classes, failures, outbox",
            None,
            _operations_snapshot,
            _check_snapshot,
        ),
    ]


def _count(value: int) -> str:
    if value >= 1_000_000 and value % 100_000 == 0:
        return f"{value / 1_000_000:g}M"
    if value >= 1000 and value % 100 == 0:
        return f"{value / 1000:g}k"
    return format_number(value)


def measure(engine: Engine, backend: str, generated: Generated, runs: int) -> Iterator[Figure]:
    for read in reads(generated):

        def once(read: Read = read) -> Any:
            with Session(engine) as session:
                return read.action(session)

        read.check(once())
        yield Figure(read.name, backend, read.how, timed_ms(once, runs), read.target)


def on_database(database: AbstractContextManager[Engine], backend: str, sizes: Sizes, runs: int) -> list[Figure]:
    with database as engine:
        generated = generate(engine, sizes)
        print(f"bench: {backend} database filled in {generated.seconds:.0f} s", flush=True)
        return list(measure(engine, backend, generated, runs))


def run(options: Options) -> list[Figure]:
    return [
        *on_database(
            databases.postgres(options.postgres, "queries"), "PostgreSQL", Sizes.from_options(options), options.runs
        ),
        *on_database(databases.sqlite(), "SQLite", Sizes.from_options(options, scaled=True), options.runs),
    ]
