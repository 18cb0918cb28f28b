"""Throwaway databases for the bench, migrated with Alembic exactly as production is.

Each figure gets a fresh database so that one figure's rows never slow another's queries, and
the PostgreSQL ones are dropped afterwards unless asked to be kept (`make bench-data`).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import update
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from models import crud
from models.db import create_db_engine
from models.migrate import upgrade
from models.schemas import SearchInput
from models.tables import Search
from models.types import utcnow


class ServiceMissing(Exception):
    """A service a figure needs is not reachable; the figure is reported as skipped."""


def _postgres_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


@contextmanager
def postgres(admin_url: str, label: str = "bench") -> Iterator[Engine]:
    """A new, migrated PostgreSQL database, dropped on exit."""
    name = f"deal_scout_{label}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        raise ServiceMissing(f"PostgreSQL: {str(error).strip().splitlines()[0]}") from error
    engine = create_db_engine(_postgres_url(admin_url, name))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite() -> Iterator[Engine]:
    """A new, migrated SQLite file in a temporary folder, deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as folder:
        engine = create_db_engine(f"sqlite:///{folder}/bench.db")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


QUERIES = ("guitar", "camera", "laptop")  # the demo market's categories: a full page each


def create_searches(engine: Engine, count: int, **fields: Any) -> list[int]:
    """`count` searches of the demo market over its categories in turn, due only when enqueued:
    their first periodic scan is a day away, so the worker's dispatcher never adds scans."""
    with Session(engine) as session:
        ids = []
        for number in range(count):
            data = {"name": f"bench {number}", "query": QUERIES[number % len(QUERIES)], "marketplaces": ["demo"]}
            search = crud.create_search(session, SearchInput.parse({**data, **fields}, min_interval_minutes=1))
            ids.append(search.id)
        session.execute(update(Search).values(next_scan_at=utcnow() + timedelta(days=1)))
        session.commit()
    return ids
