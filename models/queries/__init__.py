"""Reads for the dashboard pages, health checks and benchmarks: one module per area, SQL
aggregation in the database, no SQL in the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Result, Select
from sqlmodel import Session


def read_rows(
    session: Session, query: Select[*tuple[Any, ...]], params: Mapping[str, Any] | None = None
) -> Result[*tuple[Any, ...]]:
    """The rows of a SELECT of more columns than SQLModel's `select` types (it stops at four),
    read by name: built with SQLAlchemy's `select`, so run by SQLAlchemy's `Session.execute`.
    Every other read is SQLModel's `select` run by `session.exec`."""
    return session.execute(query, params)
