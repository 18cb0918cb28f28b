"""Shared fixtures: a fresh database on SQLite and PostgreSQL, a fresh queue on Huey's SQLite
and Redis storages.

PostgreSQL and Redis are taken from 127.0.0.1 (override with TEST_POSTGRES_URL and
TEST_REDIS_URL). Where they are missing, their tests are skipped and the run ends with one
line saying so — unless DEALSCOUT_REQUIRE_SERVICES=1 (as in `.ci/run`), which makes them fail.
Prometheus (Debian's package: /usr/bin/prometheus and promtool) is required the same way.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

import models.tables  # noqa: F401
from demo_market import DemoMarket
from models.db import create_db_engine
from models.migrate import upgrade
from models.settings import load_settings
from scanner.queue import TaskQueue, make_huey
from tests.clock import Clock

# What `get_settings()` and the processes tests start read from the environment: pinned, so a
# developer's `.env` or shell never leaks into the tests.
_TEST_DATA_DIR = tempfile.mkdtemp(prefix="deal-scout-tests-")
os.environ.update(
    {
        "DATA_DIR": _TEST_DATA_DIR,
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "SMTP_HOST": "",
        "SMTP_USER": "",
        "SMTP_PASSWORD": "",
        "EBAY_APP_ID": "",
        "EBAY_CERT_ID": "",
    }
)

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("DEALSCOUT_REQUIRE_SERVICES") == "1"
# Debian's `prometheus` package (Prometheus and promtool), which `.ci/run` installs like Chromium.
PROMETHEUS = Path("/usr/bin/prometheus")
PROMTOOL = Path("/usr/bin/promtool")

_skipped_services: dict[str, str] = {}


@cache
def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"cannot connect to {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)}: {str(error).strip().splitlines()[0]}"


@cache
def _redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as error:
        return f"cannot connect to {REDIS_TEST_URL}: {error}"


def require_service(name: str, problem: str | None) -> None:
    """Skip (or fail, when services are required) a test whose backing service is missing."""
    if problem is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (DEALSCOUT_REQUIRE_SERVICES=1) but {problem}", pytrace=False)
    _skipped_services[name] = problem
    pytest.skip(f"{name} not available: {problem}")


def require_postgres() -> None:
    require_service("PostgreSQL", _postgres_problem())


def require_redis() -> None:
    require_service("Redis", _redis_problem())


def require_prometheus() -> None:
    """For the tests that run the alert rules and the dashboard's queries in a real Prometheus."""
    missing = [str(path) for path in (PROMETHEUS, PROMTOOL) if not path.exists()]
    problem = f"{' and '.join(missing)} not installed (apt-get install -y prometheus)" if missing else None
    require_service("Prometheus", problem)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_services:
        which = "; ".join(f"{name} ({problem})" for name, problem in sorted(_skipped_services.items()))
        terminalreporter.write_line(
            f"SKIPPED service tests — {which}. Start them or set DEALSCOUT_REQUIRE_SERVICES=1 to fail instead.",
            yellow=True,
        )


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A brand-new PostgreSQL database, dropped after the test."""
    require_postgres()
    name = f"deal_scout_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(POSTGRES_ADMIN_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/deal-scout.db"
    else:
        yield request.getfixturevalue("postgres_database_url")


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A fresh database of each backend, migrated to the newest schema."""
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/deal-scout.db"


@pytest.fixture
def sqlite_engine(sqlite_database_url: str) -> Iterator[Engine]:
    """For tests where the database backend is beside the point: SQLite only, migrated."""
    engine = create_db_engine(sqlite_database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TaskQueue]:
    """A fresh, empty Huey on each storage, built by the same factory the worker uses (no tasks
    registered: `scanner.worker.Worker` registers them on it)."""
    if request.param == "redis":
        require_redis()
        settings = load_settings(data_dir=tmp_path, redis_url=REDIS_TEST_URL)
    else:
        settings = load_settings(data_dir=tmp_path, redis_url=None)
    queue = make_huey(settings, name=f"test-{uuid.uuid4().hex[:12]}")
    yield queue
    queue.storage.flush_all()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def market(clock: Clock) -> Iterator[DemoMarket]:
    """The demo marketplace on a free port, at the test's clock; a hung answer lasts 3 s."""
    with DemoMarket(clock=clock, hang_seconds=3, retry_after=0) as running:
        yield running
