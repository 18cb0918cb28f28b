"""`python -m scanner backup` and `restore`, as an operator runs them, on SQLite and PostgreSQL: a
database the scanner filled (searches, listings, prices, a deal and its pending alert) comes back
whole from its backup, and a restore never overwrites data by accident."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

from demo_market import DemoMarket
from models import crud
from models import settings as settings_module
from models.db import create_db_engine
from models.migrate import head_revision, upgrade
from models.schemas import SearchInput
from models.tables import Deal, Listing, Notification, NotificationStatus, PriceObservation, Search
from scanner.scan import run_scan
from tests.cli import Cli

from ..conftest import POSTGRES_ADMIN_URL

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(database_url: str) -> Snapshot:
    """Every row of every table, in primary-key order."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for table in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def scanned(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The database after two real scans of the demo market by a search that alerts on new
    listings: the first stores the baseline, the second finds a listing posted in between — a deal
    whose alert waits in the outbox (no SMTP server)."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    with DemoMarket() as market:
        for name, value in {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(tmp_path / "data"),
            "DEMO_MARKET_URL": market.url,
            "RATE_LIMIT_PER_MINUTE": "60000",
            "SCAN_MAX_PAGES": "1",
        }.items():
            monkeypatch.setenv(name, value)
        settings_module.get_settings.cache_clear()
        settings = settings_module.get_settings()
        with Session(engine) as session:
            search = crud.create_search(
                session,
                SearchInput.parse(
                    {
                        "name": "Guitars",
                        "query": "guitar",
                        "marketplaces": ["demo"],
                        "alert_new_listings": True,
                        "alert_recipients": ["me@example.com"],
                    },
                    min_interval_minutes=1,
                ),
            )
            session.commit()
            search_id = search.id
        assert search_id is not None
        run_scan(engine, settings, search_id, task_id="baseline")
        market.post("guitar", Decimal(640))
        assert run_scan(engine, settings, search_id, task_id="with-a-deal").deals == 1
    engine.dispose()
    settings_module.get_settings.cache_clear()
    yield database_url


@pytest.fixture
def second_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another brand-new database on the backend of `database_url` (no tables at all)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path}/restored/deal-scout.db"
        return
    name = f"deal_scout_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_an_empty_database_holds_every_row(
    scanner: Cli, scanned: str, second_database_url: str, tmp_path: Path
) -> None:
    backup = tmp_path / "backups" / "deal-scout.backup"
    made = scanner("backup", str(backup), env={"DATABASE_URL": scanned})
    assert made.returncode == 0, made.stderr
    assert f"(schema {head_revision()}) to {backup}" in made.stdout

    restored = scanner("restore", str(backup), env={"DATABASE_URL": second_database_url})

    assert restored.returncode == 0, restored.stderr
    assert f"schema {head_revision()}, this release's" in restored.stdout
    assert snapshot(second_database_url) == snapshot(scanned)
    engine = create_db_engine(second_database_url)
    with Session(engine) as session:
        assert session.exec(select(Search.name)).all() == ["Guitars"]
        assert len(session.exec(select(Listing)).all()) > 1
        assert len(session.exec(select(PriceObservation)).all()) > 1
        [deal] = session.exec(select(Deal)).all()
        [alert] = session.exec(select(Notification)).all()
        assert (alert.deal_id, alert.status, alert.recipient) == (deal.id, NotificationStatus.PENDING, "me@example.com")
        session.add(Search(name="After the restore", query="camera", marketplaces=["demo"]))
        session.commit()  # the id sequences came back too: a new row collides with none
    engine.dispose()


def test_a_backup_restores_into_a_migrated_empty_database(
    scanner: Cli, scanned: str, second_database_url: str, tmp_path: Path
) -> None:
    """What compose does: its `migrate` service has created the tables before anyone restores."""
    backup = tmp_path / "deal-scout.backup"
    assert scanner("backup", str(backup), env={"DATABASE_URL": scanned}).returncode == 0
    engine = create_db_engine(second_database_url)
    upgrade(engine)
    engine.dispose()

    restored = scanner("restore", str(backup), env={"DATABASE_URL": second_database_url})

    assert restored.returncode == 0, restored.stderr
    assert snapshot(second_database_url) == snapshot(scanned)


def test_restore_refuses_a_database_that_holds_data_and_force_replaces_it(
    scanner: Cli, scanned: str, tmp_path: Path
) -> None:
    backup = tmp_path / "deal-scout.backup"
    assert scanner("backup", str(backup), env={"DATABASE_URL": scanned}).returncode == 0
    at_backup = snapshot(scanned)
    engine = create_db_engine(scanned)
    with Session(engine) as session:
        session.add(Search(name="Added after the backup", query="camera", marketplaces=["demo"]))
        session.commit()
    engine.dispose()
    now = snapshot(scanned)

    refused = scanner("restore", str(backup), env={"DATABASE_URL": scanned})

    assert refused.returncode == 1
    assert "restoring replaces them all" in refused.stderr and "--force" in refused.stderr
    assert snapshot(scanned) == now

    forced = scanner("restore", str(backup), "--force", env={"DATABASE_URL": scanned})

    assert forced.returncode == 0, forced.stderr
    assert snapshot(scanned) == at_backup


def test_restore_refuses_a_file_that_is_no_backup(scanner: Cli, sqlite_database_url: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    result = scanner("restore", str(notes), env={"DATABASE_URL": sqlite_database_url})
    assert result.returncode == 1
    assert "neither a SQLite database nor a pg_dump --format=custom file" in result.stderr


def test_a_postgresql_backup_without_pg_dump_says_what_to_install(
    scanner: Cli, tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql://scout:hunter2-secret@127.0.0.1:{closed_port}/scout"
    result = scanner("backup", str(tmp_path / "x.dump"), env={"DATABASE_URL": url, "PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "pg_dump not found: install PostgreSQL's client tools" in result.stderr
    assert "hunter2-secret" not in result.stdout + result.stderr
    assert not (tmp_path / "x.dump").exists()
