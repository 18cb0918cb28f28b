"""Alembic builds the schema on empty SQLite and PostgreSQL databases, and matches the models."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from models.migrate import alembic_config, current_revision, head_revision, upgrade
from models.tables import Listing
from models.types import utcnow


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
