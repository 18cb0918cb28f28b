"""Alembic builds the schema on empty SQLite and PostgreSQL databases, matches the models, and goes
back down: every downgrade works, and a rollback to the previous release keeps the rows it can hold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import main as alembic_cli
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from models.db import create_db_engine
from models.migrate import alembic_config, current_revision, head_revision, upgrade
from models.settings import get_settings
from models.tables import (
    ApiUsage,
    BreakerState,
    Deal,
    DealReason,
    Listing,
    MarketplaceState,
    Notification,
    PriceObservation,
    Search,
    SearchMatch,
    TaskLog,
    TaskStatus,
    WorkerHeartbeat,
)
from models.types import utcnow
from tests.cli import Cli


def test_migrations_build_every_table_on_an_empty_database(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set(SQLModel.metadata.tables)
    assert current_revision(empty_engine) == head_revision()


def test_migrating_twice_changes_nothing(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_migrated_schema_matches_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, SQLModel.metadata)
    assert drift == []


def test_unique_constraints_the_outbox_relies_on_exist(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    inspector = inspect(empty_engine)
    notification = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("notification")}
    listing = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("listing")}
    assert ("search_id", "listing_id", "reason", "level", "recipient") in notification
    assert ("marketplace", "external_id") in listing


def test_the_latest_migration_goes_down_and_up_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert current_revision(empty_engine) != head_revision()
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_going_below_0007_keeps_listings_of_unknown_currency_as_iso_no_currency(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    now = utcnow()
    with Session(empty_engine) as session:
        session.add(
            Listing(
                marketplace="jsonld",
                external_id="p1",
                title="Lamp",
                url="https://shop.example/p1",
                price=Decimal("150.00"),
                currency=None,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        session.commit()
    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    with empty_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT currency FROM listing")).scalar_one() == "XXX"
    upgrade(empty_engine)


# --- Rolling a release back -------------------------------------------------------------------
#: The schema the previous release ran on. Migrations 0001–0005 shipped with the release of
#: 2026-11-23 (commit 8216775); 0006 (deals you can trust), 0007 (a listing's currency may be
#: unknown) and those after came with this one. Rolling this release back means downgrading to 0005
#: before switching the code (docs/RUNBOOK.md, "Rollback procedure").
PREVIOUS_RELEASE = "0005"
ROOT = Path(__file__).resolve().parents[1]


def _seed_everything(engine: Engine) -> None:
    """A row in every table, as the current release writes them; one deal is a second price-drop
    level of another (level 5), which the previous release's keys cannot hold."""
    now = utcnow().replace(microsecond=0)
    with Session(engine) as session:
        search = Search(name="Strat", query="fender stratocaster", marketplaces=["ebay"], alert_recipients=["a@b.c"])
        listing = Listing(
            marketplace="ebay",
            external_id="e1",
            title="Fender Stratocaster 1998",
            url="https://example.com/e1",
            price=Decimal("450.00"),
            previous_price=Decimal("500.00"),
            currency="USD",
            product_key="fender stratocaster",
            first_seen_at=now,
            last_seen_at=now,
        )
        session.add_all([search, listing])
        session.flush()
        assert search.id is not None and listing.id is not None
        first = Deal(
            search_id=search.id,
            listing_id=listing.id,
            reason=DealReason.PRICE_DROP,
            total_price=Decimal("450.00"),
            currency="USD",
            detected_at=now,
        )
        session.add(first)
        session.flush()
        session.add_all(
            [
                PriceObservation(listing_id=listing.id, observed_at=now, price=Decimal("500.00"), currency="USD"),
                PriceObservation(listing_id=listing.id, observed_at=now, price=Decimal("450.00"), currency="USD"),
                SearchMatch(search_id=search.id, listing_id=listing.id, first_matched_at=now),
                Deal(
                    search_id=search.id,
                    listing_id=listing.id,
                    reason=DealReason.PRICE_DROP,
                    level=Decimal(5),
                    total_price=Decimal("420.00"),
                    currency="USD",
                    detected_at=now,
                ),
                Notification(
                    search_id=search.id,
                    listing_id=listing.id,
                    deal_id=first.id,
                    reason=DealReason.PRICE_DROP,
                    recipient="a@b.c",
                    subject="Price drop",
                    body_text="450",
                    body_html="<p>450</p>",
                ),
                TaskLog(task_name="scan_search", search_id=search.id, marketplace="ebay", status=TaskStatus.SUCCESS),
                MarketplaceState(marketplace="ebay", breaker_state=BreakerState.OPEN, consecutive_failures=5),
                WorkerHeartbeat(worker_id="h:1", hostname="h", pid=1, threads=4, started_at=now, seen_at=now),
                ApiUsage(marketplace="ebay", day=now.date(), calls=12),
            ]
        )
        session.commit()


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as stored (no ORM conversion), in primary-key order."""
    inspector = inspect(engine)
    with engine.connect() as connection:
        return {
            table: [
                dict(row)
                for row in connection.execute(
                    sa.select(sa.text("*"))
                    .select_from(sa.table(table))
                    .order_by(*map(sa.column, inspector.get_pk_constraint(table)["constrained_columns"]))
                ).mappings()
            ]
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }


def _columns(engine: Engine) -> dict[str, list[str]]:
    inspector = inspect(engine)
    return {
        table: [column["name"] for column in inspector.get_columns(table)]
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def _only(rows: dict[str, list[dict[str, Any]]], columns: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    return {table: [{name: row[name] for name in columns[table]} for row in rows[table]] for table in columns}


def test_every_migration_goes_down_to_an_empty_database_and_up_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert (
            compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
            == []
        )


def test_rolling_back_to_the_previous_release_keeps_every_row_its_schema_holds(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runbook's commands: `alembic downgrade 0005` (Alembic's own command line, on the
    settings' DATABASE_URL), then `python -m scanner migrate` once the fixed release is back."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    _seed_everything(engine)
    before = _rows(engine)
    # The one row the previous schema cannot hold: a second level of the same price-drop deal.
    expected = {**before, "deal": [row for row in before["deal"] if Decimal(str(row["level"])) == 0]}
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()

    alembic_cli(["-c", str(ROOT / "alembic.ini"), "downgrade", PREVIOUS_RELEASE])

    get_settings.cache_clear()
    assert current_revision(engine) == PREVIOUS_RELEASE
    previous_columns = _columns(engine)
    assert "level" not in previous_columns["deal"] and "product_key" not in previous_columns["listing"]
    assert _only(_rows(engine), previous_columns) == _only(expected, previous_columns)

    migrated = Cli(monkeypatch, capsys, env={"DATABASE_URL": database_url})("migrate")

    assert migrated.returncode == 0, migrated.stderr
    assert f"migrated {PREVIOUS_RELEASE} -> {head_revision()}" in migrated.stdout
    assert _only(_rows(engine), previous_columns) == _only(expected, previous_columns)
    engine.dispose()
