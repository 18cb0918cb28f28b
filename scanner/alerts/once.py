"""Insert rows that must exist only once, safely when several workers insert at the same time.

`INSERT … ON CONFLICT DO NOTHING` lets the database's unique constraint decide who wins: on
PostgreSQL a second transaction waits for the first and then inserts nothing, on SQLite the single
writer does the same. A check-then-insert in Python would let two workers both see "not there yet".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from models.db import dialect_insert


def insert_once(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str],
    returning: Sequence[ColumnElement[Any]],
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skip those that clash with `unique`, return `returning` of the inserted ones."""
    if not rows:
        return []
    statement = dialect_insert(session, table).values(list(rows)).on_conflict_do_nothing(index_elements=list(unique))
    return [tuple(row) for row in session.execute(statement.returning(*returning))]
