"""A large, plausible Deal Scout database, made by the database itself (`make bench-data`).

    python -m bench.data [--database-url sqlite:///data/deal-scout.db] [--scale 0.1]

Rows come from `INSERT … SELECT` over a number series (`generate_series` on PostgreSQL, a
recursive CTE on SQLite), so a million listings take seconds and nothing crosses the wire. Every
column is a function of the row number (cheap integer hashes), so a database is the same each
time and the bench can rely on exact counts. What it holds:

- searches for the demo market's product families, one or two marketplaces each; those on the
  live marketplaces are saved *paused*, so `make run` on this database never sends a thousand
  synthetic searches to real sites (the demo ones are active and keep scanning the demo market);
- listings on several marketplaces, seen over the last six months, 70 % still active;
- price observations spread over each listing's life, drifting down to its current price;
- one busy search (the first by name, so the Price history page opens on it) whose listings were
  observed `history_observations` times in the last 29 days, its rows interleaved with the rest;
- deals with their % under market, a tenth of them dismissed;
- 30 days of task logs: a scan per marketplace every few seconds, a few % failing per marketplace.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.schema import AddConstraint, DropConstraint
from sqlmodel import SQLModel

from bench.options import Options
from demo_market.families import CATEGORIES, LOCATIONS, Category, Family
from models.db import create_db_engine
from models.migrate import upgrade
from models.settings import get_settings
from models.tables import Deal, Listing, PriceObservation, Search, SearchMatch, SearchStatus, TaskLog
from models.types import utcnow
from scanner.appraisal.condition import condition_class
from scanner.appraisal.identity import identify

DAY = 86_400
HISTORY_WINDOW_DAYS = 29  # inside the Price history page's default "30 days"
HISTORY_PER_LISTING = 100  # observations of each of the busy search's listings
HISTORY_SEARCH_ID = 1
HISTORY_SEARCH_NAME = "A Fender Stratocaster, any year (busiest search)"
# (marketplace, weight): where searches look, eBay the most.
MARKETPLACES = (("ebay", 3), ("craigslist", 2), ("facebook", 2), ("mercari", 1), ("demo", 1), ("jsonld", 1))
# Failed share of finished scans per marketplace, in per mille.
FAILURE_PERMILLE = {"ebay": 10, "craigslist": 30, "facebook": 80, "mercari": 40, "demo": 5, "jsonld": 20}
ERROR_CLASSES = (
    ("timeout", "ReadTimeout: no answer in 20 s"),
    ("server_error", "HTTP 503 Service Unavailable"),
    ("rate_limited", "HTTP 429 Too Many Requests (Retry-After 120)"),
    ("forbidden", "HTTP 403: bot wall"),
    ("markup_changed", "no listing cards found in a 200 page"),
)
CONDITIONS = ("Used – Good", "Used – Like New", "New", "Used – Fair", "Refurbished")
CONDITION_CLASSES = tuple(str(condition_class(condition, "")) for condition in CONDITIONS)
TITLE_ENDINGS = ("", "", "", " – excellent condition", " (barely used)", " w/ case", " – price negotiable")
LISTING_STATUSES = ("active",) * 14 + ("pending",) + ("sold",) * 2 + ("ended",) * 3  # by 20ths
DEAL_REASONS = ("below_market",) * 8 + ("target_price",) * 5 + ("price_drop",) * 5 + ("new_listing",) * 2
FAMILIES = [(category, family) for category in CATEGORIES for family in category.families]
SLOTS = [name for name, weight in MARKETPLACES for _ in range(weight)]


@dataclass(frozen=True)
class Sizes:
    listings: int
    observations: int
    searches: int
    deals: int
    task_logs: int
    history_observations: int

    @classmethod
    def from_options(cls, options: Options, *, scaled: bool = False) -> Sizes:
        """The bench's sizes, or with `scaled` the SQLite run's (`options.sqlite_scale` of them)."""
        size = options.scaled if scaled else int
        return cls(
            listings=size(options.data_listings),
            observations=size(options.data_observations),
            searches=max(2, size(options.data_searches)),
            deals=size(options.data_deals),
            task_logs=size(options.data_task_logs),
            history_observations=size(options.history_observations),
        )

    @property
    def history_listings(self) -> int:
        return max(1, math.ceil(self.history_observations / HISTORY_PER_LISTING))

    def check(self) -> None:
        if not 0 < self.history_observations < self.observations or self.history_listings >= self.listings:
            raise ValueError("the busy search needs fewer listings and observations than the whole database")
        if self.deals > self.listings:
            raise ValueError("at most one deal per listing")


class NotEmpty(Exception):
    """The database already has searches: the generator only fills an empty one."""


@dataclass(frozen=True)
class Generated:
    sizes: Sizes
    history_search_id: int
    now: datetime
    seconds: float  # to fill and analyse


@dataclass(frozen=True)
class _Dialect:
    """The three things SQLite and PostgreSQL write differently here."""

    numbers: str  # a CTE `numbers(n)`: 1 … :count
    epoch_to_timestamp: str  # format string taking epoch seconds
    cents_to_money: str  # format string taking an amount in cents


_DIALECTS = {
    "postgresql": _Dialect(
        numbers="numbers(n) AS (SELECT generate_series(CAST(1 AS BIGINT), CAST(:count AS BIGINT)))",
        epoch_to_timestamp="to_timestamp({})",
        cents_to_money="(({}) / 100.0)",
    ),
    # ExactDecimal keeps SQLite money as an integer of 1/10,000ths; UTCDateTime as naive UTC text.
    "sqlite": _Dialect(
        numbers="numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < :count)",
        epoch_to_timestamp="strftime('%Y-%m-%d %H:%M:%S.000000', {}, 'unixepoch')",
        cents_to_money="(({}) * 100)",
    ),
}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pick(index: str, values: Sequence[str | int]) -> str:
    """`values[index]` in SQL, as a CASE over the (small) list."""
    arms = " ".join(
        f"WHEN {position} THEN {_literal(value) if isinstance(value, str) else value}"
        for position, value in enumerate(values)
    )
    return f"(CASE ({index}) % {len(values)} {arms} END)"


def _hash(value: str, prime: int, modulo: int) -> str:
    """A cheap, well-spread pseudo-random number in [0, modulo) from an integer: scrambled modulo a
    large prime (2^31 - 1), so that numbers in a progression (every tenth listing has a deal) do not
    land on the same few values, and scrambled once more by `prime` so attributes differ."""
    scrambled = f"((CAST({value} AS BIGINT) * 2654435761) % 2147483647)"
    return f"((({scrambled} * {prime}) % 2147483647) % {modulo})"


class _Listing:
    """Every attribute of listing `i` as an SQL expression, so each table can recompute what it
    needs (an observation its listing's life span and price) without joining a million rows."""

    def __init__(self, i: str) -> None:
        self.i = i

    @property
    def search(self) -> str:
        return (
            f"(CASE WHEN {self.i} <= :history_listings THEN {HISTORY_SEARCH_ID} "
            f"ELSE {HISTORY_SEARCH_ID + 1} + ({self.i} - :history_listings - 1) % :other_searches END)"
        )

    @property
    def is_deal(self) -> str:
        return f"(({self.i} - 1) % :deal_step = 0 AND ({self.i} - 1) / :deal_step < :deals)"

    @property
    def price_percent(self) -> str:
        """Of its family's market price: deals ask 50–84 %, the rest 85–124 %."""
        return (
            f"(CASE WHEN {self.is_deal} THEN 50 + {_hash(self.i, 7919, 35)} ELSE 85 + {_hash(self.i, 104729, 40)} END)"
        )

    def price_cents(self, market_dollars: str) -> str:
        return f"({market_dollars} * {self.price_percent})"

    @property
    def shipping_cents(self) -> str:
        return f"(CASE WHEN {self.i} % 3 = 0 THEN 0 ELSE 995 END)"

    @property
    def status_index(self) -> str:
        return _hash(self.i, 31, len(LISTING_STATUSES))

    @property
    def status(self) -> str:
        return _pick(self.status_index, LISTING_STATUSES)

    @property
    def first_seen_ago(self) -> str:
        """Seconds before now: the busy search's listings within its window, others up to 180 days."""
        return (
            f"(CASE WHEN {self.i} <= :history_listings THEN {HISTORY_WINDOW_DAYS * DAY} - {self.i} % {DAY // 2} "
            f"ELSE 3600 + {_hash(self.i, 7907, 180 * DAY)} END)"
        )

    @property
    def last_seen_ago(self) -> str:
        """Active and pending ones in the last half hour; sold and ended ones a third of their life ago."""
        return f"(CASE WHEN {self.status_index} < 15 THEN {_hash(self.i, 61, 1800)} ELSE {self.first_seen_ago} / 3 END)"

    def seen_ago(self, step: str, steps: str) -> str:
        """The `step`-th of `steps` evenly spaced moments between first and last seen, shifted by up
        to one step per listing so that listings first seen together are not observed in lockstep."""
        offset = f"({step} * 1000 + {_hash(self.i, 101, 1000)})"
        return f"({self.first_seen_ago} - ({self.first_seen_ago} - {self.last_seen_ago}) * {offset} / ({steps} * 1000))"


class _Writer:
    def __init__(self, connection: Connection, sizes: Sizes, now: datetime, picture_base: str) -> None:
        self.connection = connection
        self.dialect = _DIALECTS[connection.dialect.name]
        self.sizes = sizes
        self.now = now
        other_listings = sizes.listings - sizes.history_listings
        self.parameters: dict[str, object] = {
            "now": int(now.timestamp()),
            "searches": sizes.searches,
            "history_listings": sizes.history_listings,
            "other_searches": sizes.searches - 1,
            "deals": sizes.deals,
            "deal_step": max(1, sizes.listings // max(1, sizes.deals)),
            "other_listings": other_listings,
            "history_rounds": math.ceil(sizes.history_observations / sizes.history_listings),
            "other_rounds": math.ceil((sizes.observations - sizes.history_observations) / other_listings),
            "history_stride": sizes.observations // sizes.history_observations,
            "history_observations": sizes.history_observations,
            "picture_base": picture_base.rstrip("/") + "/img/",
        }

    def timestamp(self, seconds_ago: str) -> str:
        return self.dialect.epoch_to_timestamp.format(f":now - ({seconds_ago})")

    def cents_sql(self, cents: str) -> str:
        return self.dialect.cents_to_money.format(cents)

    def insert_series(self, count: int, statement: str) -> None:
        """Run `INSERT … SELECT … FROM numbers` for n = 1 … count."""
        self.connection.execute(
            text(f"WITH RECURSIVE {self.dialect.numbers} {statement}"), {**self.parameters, "count": count}
        )

    def searches(self) -> None:
        self.connection.execute(insert(Search), search_rows(self.sizes.searches, self.now, live_paused=True))
        self.connection.execute(
            text(
                "CREATE TEMPORARY TABLE bench_kind (search_id INTEGER PRIMARY KEY, market_dollars INTEGER, "
                "family VARCHAR(200), product_key VARCHAR(64), code VARCHAR(1), marketplace VARCHAR(32), "
                "second_marketplace VARCHAR(32))"
            )
        )
        self.connection.execute(
            text("INSERT INTO bench_kind VALUES (:search_id, :market, :family, :product_key, :code, :first, :second)"),
            [kind_row(number) for number in range(1, self.sizes.searches + 1)],
        )

    def listings(self) -> None:
        item = _Listing("n")
        marketplace = "(CASE WHEN n % 2 = 0 THEN k.marketplace ELSE k.second_marketplace END)"
        self.insert_series(
            self.sizes.listings,
            f"""INSERT INTO listing (id, marketplace, external_id, title, url, image_url, price, previous_price,
                currency, shipping, condition, location, seller, status, product_key, condition_class,
                first_seen_at, last_seen_at)
            SELECT n, {marketplace}, CAST(n AS TEXT), k.family || {_pick(_hash("n", 13, 7), TITLE_ENDINGS)},
                'https://' || {marketplace} || '.example/item/' || CAST(n AS TEXT),
                :picture_base || k.code || CAST(n AS TEXT) || '.svg',
                {self.cents_sql(item.price_cents("k.market_dollars"))}, {self.cents_sql(item.price_cents("k.market_dollars"))},
                'USD',
                CASE WHEN {item.shipping_cents} = 0 THEN NULL ELSE {self.cents_sql(item.shipping_cents)} END,
                {_pick(_hash("n", 19, len(CONDITIONS)), CONDITIONS)}, {_pick(_hash("n", 17, len(LOCATIONS)), LOCATIONS)},
                'seller' || CAST(n % 4999 AS TEXT), {item.status}, k.product_key, {_pick(_hash("n", 19, len(CONDITIONS)), CONDITION_CLASSES)},
                {self.timestamp(item.first_seen_ago)}, {self.timestamp(item.last_seen_ago)}
            FROM numbers
            JOIN bench_kind k ON k.search_id = {item.search}""",
        )

    def observations(self) -> None:
        """Each row is either the busy search's (every `history_stride`-th) or another listing's;
        a listing's k-th observation is its k-th step from first to last seen."""
        item = _Listing("o.i")
        self.insert_series(
            self.sizes.observations,
            f"""INSERT INTO price_observation (listing_id, observed_at, price, currency)
            SELECT o.i, {self.timestamp(item.seen_ago("o.k", "o.c"))},
                {self.cents_sql(f"{item.price_cents('k.market_dollars')} * (1000 + (o.c - 1 - o.k) * 300 / o.c) / 1000")},
                'USD'
            FROM (
                SELECT CASE WHEN t.busy THEN 1 + (t.m - 1) % :history_listings
                            ELSE :history_listings + 1 + (t.g - 1) % :other_listings END AS i,
                       CASE WHEN t.busy THEN (t.m - 1) / :history_listings ELSE (t.g - 1) / :other_listings END AS k,
                       CASE WHEN t.busy THEN :history_rounds ELSE :other_rounds END AS c
                FROM (
                    SELECT n % :history_stride = 0 AND n / :history_stride <= :history_observations AS busy,
                           n / :history_stride AS m,
                           n - CASE WHEN n / :history_stride > :history_observations THEN :history_observations
                                    ELSE n / :history_stride END AS g
                    FROM numbers
                ) AS t
            ) AS o
            JOIN bench_kind k ON k.search_id = {item.search}""",
        )

    def matches(self) -> None:
        item = _Listing("id")
        self.connection.execute(
            text(
                f"INSERT INTO search_match (search_id, listing_id, first_matched_at) SELECT {item.search}, id, "
                "first_seen_at FROM listing"
            ),
            self.parameters,
        )

    def deals(self) -> None:
        item = _Listing("x.i")
        total = f"({item.price_cents('k.market_dollars')} + {item.shipping_cents})"
        market = "(k.market_dollars * 100)"
        reason = _pick("x.d", DEAL_REASONS)
        self.insert_series(
            self.sizes.deals,
            f"""INSERT INTO deal (id, search_id, listing_id, reason, total_price, currency, score, market_price,
                sample_size, detected_at, dismissed)
            SELECT x.d, {item.search}, x.i, {reason}, {self.cents_sql(total)}, 'USD',
                CASE WHEN {reason} = 'new_listing' THEN NULL ELSE {self.cents_sql(f"({market} - {total}) * 100 / {market} * 100")} END,
                CASE WHEN {reason} = 'new_listing' THEN NULL ELSE {self.cents_sql(market)} END,
                CASE WHEN {reason} = 'new_listing' THEN NULL ELSE 5 + x.d % 40 END,
                {self.timestamp(item.seen_ago(_hash("x.d", 13, 10), "10"))},
                x.d % 9 = 0
            FROM (SELECT n AS d, 1 + (n - 1) * :deal_step AS i FROM numbers) AS x
            JOIN bench_kind k ON k.search_id = {item.search}""",
        )

    def task_logs(self) -> None:
        """Oldest first (as they were written), one scan of one marketplace each."""
        marketplace = _pick("n", SLOTS)
        roll = _hash("n / 10", 7919, 1000)  # n / 10: independent of the marketplace slot (n % 10)
        failing = _pick("n", [FAILURE_PERMILLE[name] for name in SLOTS])
        status = f"(CASE WHEN {roll} < {failing} THEN 'failed' WHEN {roll} >= 990 THEN 'skipped' ELSE 'success' END)"
        error = _hash("n / 10", 31, len(ERROR_CLASSES))
        failed = f"{status} = 'failed'"
        self.insert_series(
            self.sizes.task_logs,
            f"""INSERT INTO task_log (task_name, task_id, search_id, marketplace, status, error_class, error,
                listings_found, listings_new, duration_ms, created_at)
            SELECT 'scan_search', 'bench-' || CAST(n AS TEXT), 1 + n % :searches, {marketplace}, {status},
                CASE WHEN {failed} THEN {_pick(error, [name for name, _ in ERROR_CLASSES])} END,
                CASE WHEN {failed} THEN {_pick(error, [message for _, message in ERROR_CLASSES])} END,
                CASE WHEN {status} = 'success' THEN 10 + n % 50 ELSE 0 END,
                CASE WHEN {status} = 'success' THEN n % 5 ELSE 0 END,
                300 + {_hash("n", 37, 4000)},
                {self.timestamp(f"({30 * DAY} * (:count - n)) / :count")}
            FROM numbers""",
        )

    def finish(self) -> None:
        self.connection.execute(text("DROP TABLE bench_kind"))
        if self.connection.dialect.name == "postgresql":
            for table in ("search", "listing", "deal"):
                self.connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )


def family_of(number: int) -> tuple[Category, Family]:
    """What search `number` looks for; the busy search, a Stratocaster."""
    return FAMILIES[0] if number == HISTORY_SEARCH_ID else FAMILIES[number % len(FAMILIES)]


def _marketplaces(number: int) -> tuple[str, str | None]:
    """Where search `number` looks: one marketplace, every third search a second one."""
    if number == HISTORY_SEARCH_ID:
        return "ebay", "craigslist"
    first = SLOTS[number * 7 % len(SLOTS)]
    second = SLOTS[number * 3 % len(SLOTS)] if number % 3 == 0 else None
    return first, second if second != first else None


def kind_row(number: int) -> dict[str, object]:
    """Search `number`'s family and marketplaces: what its listings are."""
    category, family = family_of(number)
    first, second = _marketplaces(number)
    return {
        "search_id": number,
        "market": int(family.market_price),
        "family": family.name,
        "product_key": identify(family.name).key,
        "code": category.code,
        "first": first,
        "second": second or first,
    }


def search_rows(count: int, now: datetime, *, live_paused: bool, due_pct: int = 0) -> list[dict[str, object]]:
    """`count` saved searches (ids 1 … count) on the demo market's product families; the busy one
    sorts first by name. `due_pct` % of them are due (`next_scan_at` in the past, spread evenly),
    the others later in their interval; with `live_paused`, those watching a live marketplace are
    saved paused."""
    rows = []
    for number in range(1, count + 1):
        category, family = family_of(number)
        first, second = _marketplaces(number)
        marketplaces = [first] + ([second] if second else [])
        interval = (15, 30, 60)[number % 3]
        live = any(name != "demo" for name in marketplaces)
        due = number * due_pct // 100 != (number - 1) * due_pct // 100
        where = LOCATIONS[number % len(LOCATIONS)]
        rows.append(
            {
                "id": number,
                "name": HISTORY_SEARCH_NAME if number == HISTORY_SEARCH_ID else f"{family.name} · {where} #{number}",
                "query": family.name if first == "demo" else " ".join(family.name.split()[:3]),
                "excluded_words": ["broken", "parts"] if number % 4 == 0 else [],
                "marketplaces": marketplaces,
                "target_price": (family.market_price * Decimal("0.8")).quantize(Decimal(1)) if number % 2 else None,
                "currency": "USD",
                "category": category.word,
                "interval_minutes": interval,
                "status": SearchStatus.PAUSED if live_paused and live else SearchStatus.ACTIVE,
                "alert_recipients": [],
                "market_discount_pct": Decimal(20),
                "price_drop_pct": Decimal(10),
                "alert_new_listings": number % 5 == 0,
                "next_scan_at": now - timedelta(seconds=30) if due else now + timedelta(minutes=1 + number % interval),
                "last_scanned_at": now - timedelta(minutes=interval - number % interval),
                "created_at": now - timedelta(days=200),
                "updated_at": now - timedelta(days=200),
            }
        )
    return rows


def generate(engine: Engine, sizes: Sizes, *, now: datetime | None = None, picture_base: str = "") -> Generated:
    """Fill a migrated, empty database; ANALYZE (and on PostgreSQL VACUUM) it afterwards so the
    planner and the visibility map are as after autovacuum, not as right after a bulk load."""
    sizes.check()
    started = time.perf_counter()
    moment = (now or utcnow()).replace(microsecond=0)
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(Search)).scalar_one():
            raise NotEmpty(f"{engine.url.render_as_string(hide_password=True)} already has searches")
        writer = _Writer(connection, sizes, moment, picture_base or get_settings().demo_market_url)
        writer.searches()
        with _bulk_load(connection, [Listing, PriceObservation, SearchMatch, Deal, TaskLog]):
            for step in (writer.listings, writer.observations, writer.matches, writer.deals, writer.task_logs):
                step()
        writer.finish()
    analyse(engine)
    return Generated(sizes, HISTORY_SEARCH_ID, moment, time.perf_counter() - started)


@contextmanager
def _bulk_load(connection: Connection, models: Sequence[type[SQLModel]]) -> Iterator[None]:
    """Secondary indexes (and on PostgreSQL foreign keys) dropped while the rows go in and made
    again afterwards: one sort per index instead of millions of random insertions into it."""
    tables = [model.__table__ for model in models]  # type: ignore[attr-defined]
    indexes = [index for table in tables for index in table.indexes]
    postgresql = connection.dialect.name == "postgresql"
    foreign_keys = [key for table in tables for key in table.foreign_key_constraints] if postgresql else []
    if postgresql:  # a bulk load, not a query: no JIT compile per statement, memory for the sorts
        connection.execute(text("SET LOCAL jit = off"))
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for key in foreign_keys:
        connection.execute(DropConstraint(key))
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)
    for key in foreign_keys:
        connection.execute(AddConstraint(key))


def analyse(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"))


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bench.data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=settings.database_url,
        help="an empty (or new) database; default: the one `make run` uses",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the bench's sizes (default 1)")
    arguments = parser.parse_args(argv)
    sizes = Sizes.from_options(Options(sqlite_scale=arguments.scale), scaled=True)
    shown = make_url(arguments.database_url).render_as_string(hide_password=True)
    engine = create_db_engine(arguments.database_url)
    try:
        upgrade(engine)
        print(
            f"bench.data: filling {shown} with {sizes.listings:,} listings, {sizes.observations:,} prices, "
            f"{sizes.deals:,} deals and {sizes.task_logs:,} task logs …",
            flush=True,
        )
        generated = generate(engine, sizes, picture_base=settings.demo_market_url)
    except NotEmpty as problem:
        print(
            f"bench.data: {problem}: delete it (for the default, `rm -r {settings.data_dir}`) or pass --database-url",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    print(
        f"bench.data: done in {generated.seconds:.0f} s. `make run` (with the same DATA_DIR or DATABASE_URL) "
        f"shows it on http://localhost:{settings.dashboard_port}: Deals, Price history (“{HISTORY_SEARCH_NAME}”), "
        "Operations. Searches on live marketplaces are saved paused; those on the demo market keep scanning."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
