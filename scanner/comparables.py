"""The stored listings of the products a scan just saw: candidates for comparables and reposts.

Drawn from every listing Deal Scout keeps — any search, any marketplace — seen within a window.
Each product's newest listings are read from one range of `ix_listing_product` (key, currency,
last seen), capped, so a product with a hundred thousand listings costs what one with two
hundred does; `scanner.appraisal` then decides which candidates really are the same product.

On PostgreSQL every product of a scan is read by one statement (a LATERAL join over the keys,
sent as arrays, so its text never changes); SQLite, in the process, answers a small query per
product faster than PostgreSQL answers one round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Row, Select, SQLColumnExpression
from sqlmodel import ARRAY, Session, String, bindparam, col, func, true

from models.queries import read_rows
from models.tables import LISTING_TOTAL, Listing
from scanner.appraisal.verdict import Candidate

#: The newest listings of a product read as its candidates; more would only add old prices.
MAX_CANDIDATES = 200
Product = tuple[str, str]  # (product key, currency)
Columns = tuple[SQLColumnExpression[Any], ...]
#: SQLAlchemy's SELECT, read by `read_rows`: the columns are more than SQLModel's `select` types.
_Rows = Select[*tuple[Any, ...]]

_PRODUCT = (col(Listing.id), col(Listing.title), col(Listing.product_key), col(Listing.currency))
_TOTAL = LISTING_TOTAL.label("total")
#: What judging a price reads of each listing, and what finding a repost's original reads: only
#: these, as converting a few thousand rows' columns costs more than the query.
EVIDENCE: Columns = (
    *_PRODUCT,
    _TOTAL,
    col(Listing.condition_class),
    col(Listing.junk),
    col(Listing.ends_at).is_not(None).label("auction"),  # an auction's price is a running bid
)
ORIGINALS: Columns = (
    *_PRODUCT,
    _TOTAL,
    col(Listing.marketplace),
    col(Listing.seller),
    (col(Listing.first_seen_at) < bindparam("now")).label("seen_before"),
)


def _newest(columns: Columns, key: ColumnElement[Any], currency: ColumnElement[Any]) -> _Rows:
    return (
        sa.select(*columns)
        .where(
            col(Listing.product_key) == key,
            col(Listing.currency) == currency,
            col(Listing.last_seen_at) >= bindparam("since"),
            col(Listing.price).is_not(None),
        )
        .order_by(col(Listing.last_seen_at).desc())
        .limit(MAX_CANDIDATES)
    )


@lru_cache(maxsize=4)
def _statements(columns: Columns) -> tuple[_Rows, _Rows]:
    """Built once per column set: (one product, for SQLite; every product at once, for PostgreSQL)."""
    wanted = (
        func.unnest(bindparam("keys", type_=ARRAY(String)), bindparam("currencies", type_=ARRAY(String)))
        .table_valued("key", "currency")
        .render_derived(name="wanted")
    )
    newest = _newest(columns, wanted.c.key, wanted.c.currency).lateral("newest")
    every = sa.select(newest).select_from(wanted).join(newest, true())
    return _newest(columns, bindparam("key"), bindparam("currency")), every


def newest_listings(
    session: Session,
    products: Iterable[Product],
    since: datetime,
    columns: Columns = EVIDENCE,
    **parameters: Any,
) -> dict[Product, list[Row[*tuple[Any, ...]]]]:
    """(product key, currency) → `columns` of the newest stored listings of it seen since `since`,
    newest first; `parameters` are those the columns take."""
    one_product, every_product = _statements(columns)
    wanted = list(dict.fromkeys(products))
    found: dict[Product, list[Row[*tuple[Any, ...]]]] = {product: [] for product in wanted}
    if not wanted:
        return found
    rows: Iterable[Row[*tuple[Any, ...]]]
    if session.get_bind().dialect.name == "postgresql":
        keys, currencies = zip(*wanted, strict=True)
        values = {"keys": list(keys), "currencies": list(currencies), "since": since, **parameters}
        rows = read_rows(session, every_product, values)
    else:
        rows = [
            row
            for key, currency in wanted
            for row in read_rows(session, one_product, {"key": key, "currency": currency, "since": since, **parameters})
        ]
    for row in rows:
        found[(row.product_key, row.currency)].append(row)
    return found


def stored_candidates(session: Session, products: Iterable[Product], since: datetime) -> dict[Product, list[Candidate]]:
    """(product key, currency) → its newest stored listings as evidence of a price."""
    return {
        product: [
            Candidate(
                ref=row.id,
                title=row.title,
                total=Decimal(row.total),
                currency=row.currency,
                condition=row.condition_class,
                junk=row.junk,
                auction=row.auction,
            )
            for row in rows
        ]
        for product, rows in newest_listings(session, products, since).items()
    }
