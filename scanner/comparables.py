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
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, func, true
from sqlalchemy.engine import Row
from sqlmodel import Session, col, select

from models.tables import Listing
from scanner.appraisal.verdict import Candidate

#: The newest listings of a product read as its candidates; more would only add old prices.
MAX_CANDIDATES = 200
Product = tuple[str, str]  # (product key, currency)

_COLUMNS = (
    col(Listing.id),
    col(Listing.title),
    (col(Listing.price) + func.coalesce(col(Listing.shipping), 0)).label("total"),
    col(Listing.currency),
    col(Listing.condition_class),
    col(Listing.junk),
    col(Listing.ends_at),
    col(Listing.product_key),
    col(Listing.marketplace),
    col(Listing.seller),
    col(Listing.first_seen_at),
)


def _newest(key: Any, currency: Any) -> Any:
    return (
        select(*_COLUMNS)
        .where(
            col(Listing.product_key) == key,
            col(Listing.currency) == currency,
            col(Listing.last_seen_at) >= bindparam("since"),
            col(Listing.price).is_not(None),
        )
        .order_by(col(Listing.last_seen_at).desc())
        .limit(MAX_CANDIDATES)
    )


_ONE_PRODUCT = _newest(bindparam("key"), bindparam("currency"))


def _every_product() -> Any:
    wanted = (
        func.unnest(bindparam("keys", type_=ARRAY(String)), bindparam("currencies", type_=ARRAY(String)))
        .table_valued("key", "currency")
        .render_derived(name="wanted")
    )
    newest = _newest(wanted.c.key, wanted.c.currency).lateral("newest")
    return select(newest).select_from(wanted).join(newest, true())


_EVERY_PRODUCT = _every_product()


def newest_listings(session: Session, products: Iterable[Product], since: datetime) -> dict[Product, list[Row[Any]]]:
    """(product key, currency) → the newest stored listings of it seen since `since`, newest first."""
    wanted = list(dict.fromkeys(products))
    found: dict[Product, list[Row[Any]]] = {product: [] for product in wanted}
    if not wanted:
        return found
    rows: Iterable[Row[Any]]
    if session.get_bind().dialect.name == "postgresql":
        keys, currencies = zip(*wanted, strict=True)
        rows = session.execute(_EVERY_PRODUCT, {"keys": list(keys), "currencies": list(currencies), "since": since})
    else:
        rows = [
            row
            for key, currency in wanted
            for row in session.execute(_ONE_PRODUCT, {"key": key, "currency": currency, "since": since})
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
                auction=row.ends_at is not None,
            )
            for row in rows
        ]
        for product, rows in newest_listings(session, products, since).items()
    }
