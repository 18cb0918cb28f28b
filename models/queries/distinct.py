"""The distinct values of an indexed column, by skipping through its index.

`SELECT DISTINCT marketplace FROM task_log` reads every row, although a handful of values are
there. Neither SQLite nor PostgreSQL skips through an index by itself, but a recursive CTE can:
each step asks the index for the smallest value above the last one, one look-up per value
(the "loose index scan").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, SQLColumnExpression
from sqlmodel import func, select


def distinct_values(column: SQLColumnExpression[Any], name: str) -> CTE:
    """A CTE with one column, `value`, holding each non-NULL value of `column` once (plus one
    NULL row that ends the recursion: filter it out)."""
    first = select(func.min(column).label("value")).scalar_subquery()
    values = select(first.label("value")).cte(name, recursive=True)
    following = select(func.min(column)).where(column > values.c.value).scalar_subquery()
    return values.union_all(select(following).where(values.c.value.is_not(None)))
