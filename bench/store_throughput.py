"""How fast the scan pipeline writes listings, on SQLite and (when reachable) PostgreSQL.

Three passes over N synthetic listings for one search: the first scan (all inserts), the same
page again (only last_seen changes) and a scan where every tenth price moved. Also the naive
ORM way (one SELECT + add per row) as the baseline the bulk upsert is measured against.

    python -m bench.store_throughput [--rows 20000] [--postgres postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import psycopg
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

import models.tables  # noqa: F401
from models import crud
from models.db import create_db_engine
from models.schemas import SearchInput
from models.settings import load_settings
from models.tables import Listing
from models.types import utcnow
from scanner.marketplaces.base import ListingData
from scanner.pipeline import store_listings


def synthetic(rows: int) -> list[ListingData]:
    return [
        ListingData(
            external_id=f"{number:08d}",
            title=f"Fender Stratocaster #{number} – sunburst",
            url=f"https://market.example/item/{number}",
            price=Decimal(100 + number % 900) + Decimal("0.99"),
            currency="USD",
            shipping=Decimal("12.50") if number % 3 else None,
            image_url=f"https://market.example/img/{number}.jpg",
            location="Boston, MA",
            seller=f"seller{number % 97}",
        )
        for number in range(rows)
    ]


def timed_store(engine: Engine, search_id: int, listings: list[ListingData], minutes: int) -> float:
    settings = load_settings(data_dir=tempfile.gettempdir(), listing_ended_after_hours=48)
    started = time.perf_counter()
    with Session(engine) as session:
        search = session.get(models.tables.Search, search_id)
        store_listings(
            session, search, "demo", listings, now=utcnow() + timedelta(minutes=minutes), settings=settings, baseline=True
        )
        session.commit()
    return len(listings) / (time.perf_counter() - started)


def naive_orm(engine: Engine, listings: list[ListingData]) -> float:
    started = time.perf_counter()
    with Session(engine) as session:
        for number, item in enumerate(listings, 1):
            existing = session.exec(
                select(Listing).where(Listing.marketplace == "naive", Listing.external_id == item.external_id)
            ).first()
            row = existing or Listing(marketplace="naive", external_id=item.external_id, title=item.title, url=item.url)
            row.price, row.last_seen_at = item.price, utcnow()
            session.add(row)
            if number % 200 == 0:
                session.commit()
        session.commit()
    return len(listings) / (time.perf_counter() - started)


def run(engine: Engine, label: str, rows: int) -> None:
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        data = SearchInput.parse({"name": "bench", "query": "strat", "marketplaces": ["demo"]}, min_interval_minutes=1)
        search_id = crud.create_search(session, data).id
        session.commit()
    listings = synthetic(rows)
    moved = [replace(item, price=item.price - 5) if index % 10 == 0 else item for index, item in enumerate(listings)]
    first = timed_store(engine, search_id, listings, 0)
    same = timed_store(engine, search_id, listings, 15)
    changed = timed_store(engine, search_id, moved, 30)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    naive = naive_orm(engine, listings[: min(rows, 5000)])
    print(f"{label:<11} first scan {first:>9,.0f} rows/s | same page {same:>9,.0f} rows/s | "
          f"10% prices moved {changed:>9,.0f} rows/s | naive ORM {naive:>7,.0f} rows/s | "
          f"bulk/naive x{first / naive:.1f} | process peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"Storing {args.rows:,} listings for one search (one transaction per scan)")
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{folder}/bench.db")
        run(engine, "SQLite", args.rows)
        engine.dispose()
    name = f"deal_scout_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        print(f"PostgreSQL  skipped: {str(error).strip().splitlines()[0]}")
        return
    url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=name)
    engine = create_db_engine(url.render_as_string(hide_password=False))
    try:
        run(engine, "PostgreSQL", args.rows)
    finally:
        engine.dispose()
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
