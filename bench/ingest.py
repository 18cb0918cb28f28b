"""Ingest: the scan pipeline's store step (`scanner.pipeline.store_listings`) at volume.

N normalized listings arrive in batches of 200 — one batch is what one scan of one search stores —
spread over the bench's searches, each batch in its own transaction exactly as a scan commits it.
Two passes: the first sight of every listing (all inserts), then the re-scan in which 10 % of the
prices moved (the steady state of a running system), each with one writer and again with several
writer threads on fresh listings (a worker's threads store concurrently). The baseline is the
naive way to do the same work, one row at a time through the ORM, run in the same process on the
same database so that the ratio holds on a noisy machine.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench import databases
from bench.measure import Figure, Samples, Target
from bench.options import Options
from models.settings import Settings, load_settings
from models.tables import Listing, PriceObservation, Search, SearchMatch
from models.types import utcnow
from scanner.marketplaces.base import ListingData
from scanner.pipeline import store_listings

MARKETPLACE = "demo"
# Every deal rule on, and an address to alert, so the store step does all its work.
DEAL_RULES: dict[str, object] = {
    "target_price": "320",
    "market_discount_pct": "55",
    "price_drop_pct": "10",
    "alert_recipients": ["buyer@example.com"],
}
TARGET = Target(20_000, "higher")
RATIO = 20
WINDOWS = 20


def synthetic(count: int, start: int = 0) -> list[ListingData]:
    """Listings as an adapter hands them over: every field a real card has."""
    return [
        ListingData(
            external_id=f"{number:09d}",
            title=f"Fender Stratocaster #{number} sunburst, great condition",
            url=f"https://market.example/item/{number}",
            price=Decimal(300 + number % 900) + Decimal("0.99"),
            currency="USD",
            shipping=Decimal("12.50") if number % 3 else None,
            image_url=f"https://market.example/img/{number}.jpg",
            location="Boston, MA",
            seller=f"seller{number % 97}",
            condition="Used",
        )
        for number in range(start, start + count)
    ]


def moved(listings: Sequence[ListingData], percent: int) -> list[ListingData]:
    """The same listings with `percent` % of the prices moved by 3 %, up and down in turn."""
    step = max(1, round(100 / percent)) if percent else 0
    factors = (Decimal("0.97"), Decimal("1.03"))
    return [
        replace(item, price=(item.price * factors[index // step % 2]).quantize(Decimal("0.01")))
        if step and index % step == 0 and item.price is not None
        else item
        for index, item in enumerate(listings)
    ]


def _batches(listings: Sequence[ListingData], size: int) -> Iterator[Sequence[ListingData]]:
    for start in range(0, len(listings), size):
        yield listings[start : start + size]


def analyze(engine: Engine) -> None:
    """What autovacuum does within a minute of a bulk load: fresh planner statistics."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


Store = Callable[[Session, Search, Sequence[ListingData], Settings], None]


def bulk_store(session: Session, search: Search, batch: Sequence[ListingData], settings: Settings) -> None:
    store_listings(session, search, MARKETPLACE, batch, now=utcnow(), settings=settings, baseline=False)


def naive_store(session: Session, search: Search, batch: Sequence[ListingData], settings: Settings) -> None:
    """The same writes one row at a time: look up, add or change, flush."""
    now = utcnow()
    for item in batch:
        listing = session.exec(
            select(Listing).where(Listing.marketplace == MARKETPLACE, Listing.external_id == item.external_id)
        ).first()
        if listing is None:
            listing = Listing(marketplace=MARKETPLACE, external_id=item.external_id, title=item.title, url=item.url)
        listing.price, listing.shipping, listing.last_seen_at = item.price, item.shipping, now
        session.add(listing)
        session.flush()
        last = session.exec(
            select(PriceObservation.price)
            .where(PriceObservation.listing_id == listing.id)
            .order_by(col(PriceObservation.observed_at).desc())
            .limit(1)
        ).first()
        if item.price is not None and last != item.price:
            session.add(PriceObservation(listing_id=listing.id or 0, observed_at=now, price=item.price, currency="USD"))
        if session.get(SearchMatch, (search.id, listing.id)) is None:
            session.add(SearchMatch(search_id=search.id or 0, listing_id=listing.id or 0, first_matched_at=now))
        session.flush()


def store_all(
    engine: Engine,
    store: Store,
    search_ids: Sequence[int],
    listings: Sequence[ListingData],
    batch_size: int,
    writers: int = 1,
) -> tuple[Samples, float]:
    """Store every batch, each in its own transaction, from `writers` threads with a session each
    (as a worker's threads do). Samples are the rates of about 20 consecutive windows of batches;
    the second value is the rate of the whole pass."""
    settings = load_settings(data_dir=tempfile.gettempdir(), listing_ended_after_hours=48)
    with Session(engine, expire_on_commit=False) as session:
        searches = {search.id: search for search in session.exec(select(Search))}
    batches = [
        (searches[search_ids[number % len(search_ids)]], batch)
        for number, batch in enumerate(_batches(listings, batch_size))
    ]

    def store_one(job: tuple[Search, Sequence[ListingData]]) -> int:
        search, batch = job
        with Session(engine, expire_on_commit=False) as session:
            store(session, search, batch, settings)
            session.commit()
        return len(batch)

    window = max(1, len(batches) // WINDOWS)
    rates = []
    started = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        for first in range(0, len(batches), window):
            window_started = time.perf_counter()
            stored = sum(pool.map(store_one, batches[first : first + window]))
            rates.append(stored / (time.perf_counter() - window_started))
    overall = len(listings) / (time.perf_counter() - started)
    return Samples(tuple(rates), "listings/s", "higher"), overall


def _measure(options: Options, database: Callable[[], AbstractContextManager[Engine]], backend: str) -> list[Figure]:
    postgres = backend == "PostgreSQL"
    size = options.ingest_listings if postgres else options.scaled(options.ingest_listings)
    naive_size = options.naive_listings if postgres else options.scaled(options.naive_listings)
    writer_counts = options.writer_counts() if postgres else [1]  # SQLite has one writer at a time
    changed = f"re-scan, {options.ingest_changed_pct} % prices moved"
    figures = []
    with database() as engine:
        search_ids = databases.create_searches(engine, options.ingest_searches, **DEAL_RULES)
        naive = synthetic(naive_size, start=0)
        naive_first, _ = store_all(engine, naive_store, search_ids, naive, options.ingest_batch)
        naive_again, _ = store_all(
            engine, naive_store, search_ids, moved(naive, options.ingest_changed_pct), options.ingest_batch
        )
        for block, writers in enumerate(writer_counts, start=1):
            listings = synthetic(size, start=block * 10 * size)
            first, first_overall = store_all(engine, bulk_store, search_ids, listings, options.ingest_batch, writers)
            analyze(engine)  # what autovacuum does within a minute of a load this size
            moved_listings = moved(listings, options.ingest_changed_pct)
            again, again_overall = store_all(
                engine, bulk_store, search_ids, moved_listings, options.ingest_batch, writers
            )
            how = (
                f"{size:,} listings in {options.ingest_batch}-listing transactions over "
                f"{options.ingest_searches} searches, {writers} writer{'s' if writers > 1 else ''}"
            )
            for label, bulk, overall, baseline in (
                ("first sight", first, first_overall, naive_first),
                (changed, again, again_overall, naive_again),
            ):
                note = f"whole pass {overall:,.0f}/s"
                ratio = bulk.median / baseline.median
                if writers == 1:
                    note += (
                        f"; naive ORM {baseline.median:,.0f}/s ({naive_size:,} listings, same process): ×{ratio:.1f}"
                    )
                figures.append(
                    Figure(
                        f"ingest, {label}",
                        backend,
                        how,
                        bulk,
                        TARGET if postgres else None,
                        note,
                        extra_met=writers > 1 or not postgres or ratio >= RATIO,
                    )
                )
    return figures


def run(options: Options) -> list[Figure]:
    postgres = _measure(options, lambda: databases.postgres(options.postgres, "ingest"), "PostgreSQL")
    return postgres + _measure(options, databases.sqlite, "SQLite")
