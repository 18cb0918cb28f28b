"""The ingest figure at a tiny size: the real store step, batch by batch, against its naive twin."""

from __future__ import annotations

from sqlmodel import Session, func, select

from bench import databases, ingest
from bench.options import Options
from models.tables import Listing, PriceObservation, SearchMatch
from tests.conftest import POSTGRES_ADMIN_URL, require_postgres

TINY = Options(
    postgres=POSTGRES_ADMIN_URL, ingest_listings=1_000, naive_listings=200, ingest_searches=4, ingest_writers="1,2"
)


def _count(session: Session, table: type) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_a_pass_stores_every_listing_and_a_rescan_records_only_the_moved_prices() -> None:
    listings = ingest.synthetic(1_000)
    with databases.sqlite() as engine:
        searches = databases.create_searches(engine, 4, **ingest.DEAL_RULES)
        first, _ = ingest.store_all(engine, ingest.bulk_store, searches, listings, 200, writers=2)
        again, _ = ingest.store_all(engine, ingest.bulk_store, searches, ingest.moved(listings, 10), 200)
        with Session(engine) as session:
            assert _count(session, Listing) == 1_000
            assert _count(session, SearchMatch) == 1_000
            assert _count(session, PriceObservation) == 1_000 + 100
    assert len(first.values) == 5 and all(rate > 0 for rate in first.values + again.values)


def test_the_naive_baseline_does_the_same_writes() -> None:
    listings = ingest.synthetic(100)
    with databases.sqlite() as engine:
        searches = databases.create_searches(engine, 2, **ingest.DEAL_RULES)
        ingest.store_all(engine, ingest.naive_store, searches, listings, 50)
        ingest.store_all(engine, ingest.naive_store, searches, ingest.moved(listings, 10), 50)
        with Session(engine) as session:
            assert (_count(session, Listing), _count(session, SearchMatch)) == (100, 100)
            assert _count(session, PriceObservation) == 100 + 10


def test_moved_changes_the_given_share_of_prices_up_and_down() -> None:
    listings = ingest.synthetic(100)
    moved = ingest.moved(listings, 10)
    changes = [(after.price or 0) - (before.price or 0) for before, after in zip(listings, moved, strict=True)]
    assert sum(1 for change in changes if change < 0) == 5 and sum(1 for change in changes if change > 0) == 5


def test_postgresql_figures_are_judged_per_writer_count_and_sqlite_ones_reported() -> None:
    require_postgres()
    figures = ingest.run(TINY)
    postgres = [figure for figure in figures if figure.backend == "PostgreSQL"]
    sqlite = [figure for figure in figures if figure.backend == "SQLite"]
    assert len(postgres) == 4 and len(sqlite) == 2
    assert all(figure.target == ingest.TARGET for figure in postgres)
    assert all(figure.target is None for figure in sqlite)
    single = [figure for figure in postgres if "1 writer" in figure.how]
    assert len(single) == 2 and all("naive ORM" in figure.note and "×" in figure.note for figure in single)
