"""The stored listings that may be comparable to the listings a scan just saw.

Drawn from every listing Deal Scout keeps — any search, any marketplace — seen within the market
window. One indexed range per product key (`ix_listing_product`: key, currency, last seen),
newest first and capped, so a product with a hundred thousand listings costs what one with two
hundred does; `scanner.appraisal` then decides which candidates really are the same product.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from models.tables import Listing
from scanner.appraisal.verdict import Candidate

#: The newest listings of a product read as its candidates; more would only add old prices.
MAX_CANDIDATES = 200

_CANDIDATES = (
    select(
        col(Listing.id),
        col(Listing.title),
        (col(Listing.price) + func.coalesce(col(Listing.shipping), 0)).label("total"),
        col(Listing.currency),
        col(Listing.condition_class),
        col(Listing.junk),
        col(Listing.ends_at),
    )
    .where(
        col(Listing.product_key) == bindparam("key"),
        col(Listing.currency) == bindparam("currency"),
        col(Listing.last_seen_at) >= bindparam("since"),
        col(Listing.price).is_not(None),
    )
    .order_by(col(Listing.last_seen_at).desc())
    .limit(MAX_CANDIDATES)
)


def stored_candidates(
    session: Session, products: Iterable[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], list[Candidate]]:
    """(product key, currency) → the newest listings with that key and currency seen since `since`."""
    found: dict[tuple[str, str], list[Candidate]] = {}
    for key, currency in dict.fromkeys(products):
        rows = session.execute(_CANDIDATES, {"key": key, "currency": currency, "since": since})
        found[(key, currency)] = [
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
    return found
