"""Reading one value of each listing a search matched, in time proportional to the search.

Written as a correlated subquery whose only condition is the primary key, on purpose: the
database then looks each matched listing up by that key, whatever its statistics say. Written as
a join, or with the conditions in the subquery's WHERE, the planner is free to scan the whole
listing table or another index — and it does, whenever its statistics lag behind a table that
grew fast (a new installation, a bulk import): 200 ms instead of 0.5 ms, on every scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Subquery
from sqlmodel import and_, case, col, select

from models.tables import Listing, SearchMatch


def per_match(
    search_id: int | ColumnElement[int], value: ColumnElement[Any], *conditions: ColumnElement[bool]
) -> Subquery:
    """One row per listing the search matched: column `value` holds the listing's `value` when it
    meets `conditions`, NULL otherwise."""
    looked_up = (
        select(case((and_(*conditions), value), else_=None) if conditions else value)
        .where(col(Listing.id) == col(SearchMatch.listing_id))
        .correlate(SearchMatch)
        .scalar_subquery()
    )
    return select(looked_up.label("value")).where(col(SearchMatch.search_id) == search_id).subquery()
