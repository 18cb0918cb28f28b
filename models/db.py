"""Engines and sessions for SQLite (embedded) and PostgreSQL (production).

SQLite gets WAL, foreign keys and a busy timeout so the dashboard, the worker threads and the
demo market can share one file without "database is locked" errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel, create_engine, text

from models.settings import Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
_engines: dict[str, Engine] = {}


def _configure_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str, pool_size: int = 5) -> Engine:
    """A new engine for `url`: the worker's own (`scanner.worker`), or the one `get_engine()`
    shares in the commands and the dashboard.

    `pool_size` connections stay open (PostgreSQL): a worker needs one per thread, or its threads
    beyond the pool keep opening and closing connections (116 in 20 s at 16 threads)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=10,
        pool_recycle=1800,
        connect_args={"connect_timeout": 10},  # a black-holed host must not hang /health
    )


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine a command or the dashboard shares for the configured database, created on
    first use (the worker builds its own, sized for its threads)."""
    url = (settings or get_settings()).database_url
    if url not in _engines:
        _engines[url] = create_db_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    """Close pooled connections, e.g. after a fork or at the end of a test."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine | None = None) -> None:
    """Raise if the database cannot answer a trivial query."""
    with (engine or get_engine()).connect() as connection:
        connection.execute(text("SELECT 1"))


def dialect_insert(bind: Session | Engine, table: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows `ON CONFLICT` for whichever backend (SQLite or PostgreSQL, the only
    two settings accept) the session or engine talks to."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
