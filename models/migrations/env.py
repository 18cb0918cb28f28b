"""Alembic environment: the database comes from Deal Scout's settings (or a connection the
caller hands over), the target schema from the SQLModel metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on the metadata)
from models.db import create_db_engine
from models.settings import get_settings

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _foreign_keys_off(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if dangling:
                raise RuntimeError(
                    f"the migration left rows referring to nothing (table, rowid, parent): {dangling[:5]}"
                )


def _foreign_keys_off(connection: Connection) -> None:
    """SQLite's batch mode rebuilds a table: copy, drop the original, rename the copy. With foreign
    keys enforced, dropping the original first deletes every row that refers to it (a listing's
    prices, matches, deals and alerts: ON DELETE CASCADE) or empties the reference (SET NULL). So
    they are off while migrating (`models.migrate.upgrade` turns them on again after the commit);
    the pragma is ignored inside a transaction, hence the check."""
    ours = not connection.in_transaction()
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "cannot switch SQLite's foreign keys off inside a transaction: migrate on a fresh connection"
        )
    if ours:
        connection.commit()  # end the transaction these statements began: the migrations commit their own


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(get_settings().database_url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run `python -m scanner migrate`.")
run_migrations_online()
