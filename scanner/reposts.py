"""Reposts: a seller who takes a listing down and puts the same item up again under a new id.

Without this the repost looks like a new listing (a "new" alert, a deal alerted twice) and its
price history starts over, so a seller who reposts 10 % cheaper never shows as a price drop.
A new listing is a repost of an earlier one of the same marketplace, seller, product and
currency seen within `REPOST_WINDOW_DAYS`, whose title is near-identical and whose total is
within a third of it; the most recently seen such listing is the one it continues.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from models.tables import Listing
from scanner.appraisal.identity import identify, similarity
from scanner.marketplaces.base import ListingData

#: Titles at least this alike (rapidfuzz token-set ratio) are the same ad.
SAME_AD = 90
#: A repost's total is within this fraction of the original's.
PRICE_TOLERANCE = Decimal("0.33")

_EARLIER = (
    select(
        col(Listing.id),
        col(Listing.title),
        col(Listing.seller),
        col(Listing.product_key),
        col(Listing.currency),
        (col(Listing.price) + func.coalesce(col(Listing.shipping), 0)).label("total"),
    )
    .where(
        col(Listing.marketplace) == bindparam("marketplace"),
        col(Listing.product_key).in_(bindparam("keys", expanding=True)),
        col(Listing.seller).in_(bindparam("sellers", expanding=True)),
        col(Listing.last_seen_at) >= bindparam("since"),
        col(Listing.first_seen_at) < bindparam("now"),
        col(Listing.price).is_not(None),
    )
    .order_by(col(Listing.last_seen_at).desc(), col(Listing.id).desc())
)


def _same_ad(title: str, total: Decimal, earlier_title: str, earlier_total: Decimal) -> bool:
    if not identify(title).same_product(identify(earlier_title)):
        return False
    if similarity(identify(title).text, identify(earlier_title).text) < SAME_AD:
        return False
    return earlier_total > 0 and abs(total - earlier_total) <= earlier_total * PRICE_TOLERANCE


def link_reposts(
    session: Session, marketplace: str, new: Mapping[int, ListingData], *, now: datetime, window_days: int
) -> dict[int, int]:
    """Find and record the listings that new listings (id → what was seen) repost; returns new id →
    original id."""
    wanted = {
        listing_id: (item, identify(item.title).key, item.total_cost())
        for listing_id, item in new.items()
        if item.seller and identify(item.title).key and item.total_cost() is not None
    }
    if not wanted or window_days <= 0:
        return {}
    earlier = session.execute(
        _EARLIER,
        {
            "marketplace": marketplace,
            "keys": sorted({key for _, key, _ in wanted.values() if key}),
            "sellers": sorted({item.seller for item, _, _ in wanted.values() if item.seller}),
            "since": now - timedelta(days=window_days),
            "now": now,
        },
    ).all()
    reposts: dict[int, int] = {}
    for listing_id, (item, key, total) in wanted.items():
        assert total is not None
        for row in earlier:
            if (row.seller, row.product_key, row.currency) == (item.seller, key, item.currency) \
                    and row.id != listing_id and _same_ad(item.title, total, row.title, Decimal(row.total)):
                reposts[listing_id] = row.id
                break
    if reposts:
        session.execute(  # SQLAlchemy's bulk UPDATE by primary key
            update(Listing), [{"id": new_id, "reposted_from_id": original} for new_id, original in reposts.items()]
        )
    return reposts
