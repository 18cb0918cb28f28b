"""Reposts: a seller who takes a listing down and puts the same item up again under a new id.

Without this the repost looks like a new listing (a "new" alert, a deal alerted twice) and its
price history starts over, so a seller who reposts 10 % cheaper never shows as a price drop.
A new listing is a repost of an earlier one of the same marketplace, seller, product and
currency seen within `REPOST_WINDOW_DAYS`, whose title is near-identical and whose total is
within a third of it; the most recently seen such listing (among the product's newest 200) is
the one it continues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, update

from models.tables import Listing
from scanner.appraisal.identity import identify, similarity
from scanner.comparables import ORIGINALS, newest_listings
from scanner.marketplaces.base import ListingData

#: Titles at least this alike (rapidfuzz token-set ratio) are the same ad.
SAME_AD = 90
#: A repost's total is within this fraction of the original's.
PRICE_TOLERANCE = Decimal("0.33")


@dataclass(frozen=True)
class Repost:
    original_id: int
    original_total: Decimal  # what the original last cost: where the repost's price history goes on


def _same_ad(title: str, total: Decimal, earlier_title: str, earlier_total: Decimal) -> bool:
    if not identify(title).same_product(identify(earlier_title)):
        return False
    if similarity(identify(title).text, identify(earlier_title).text) < SAME_AD:
        return False
    return earlier_total > 0 and abs(total - earlier_total) <= earlier_total * PRICE_TOLERANCE


def link_reposts(
    session: Session, marketplace: str, new: Mapping[int, ListingData], *, now: datetime, window_days: int
) -> dict[int, Repost]:
    """Find and record the listings that new listings (id → what was seen) repost; returns new id →
    its original. An original is looked for among its product's newest stored listings."""
    wanted = {
        listing_id: (item, (key, currency), total)
        for listing_id, item in new.items()
        if item.seller
        and (currency := item.currency)
        and (key := identify(item.title).key)
        and (total := item.total_cost()) is not None
    }
    if not wanted or window_days <= 0:
        return {}
    products = [product for _, product, _ in wanted.values()]
    earlier = newest_listings(session, products, now - timedelta(days=window_days), ORIGINALS, now=now)
    reposts: dict[int, Repost] = {}
    for listing_id, (item, product, total) in wanted.items():
        original = next(
            (
                Repost(row.id, Decimal(row.total))
                for row in earlier[product]
                if row.marketplace == marketplace
                and row.seller == item.seller
                and row.seen_before
                and row.id != listing_id
                and _same_ad(item.title, total, row.title, Decimal(row.total))
            ),
            None,
        )
        if original is not None:
            reposts[listing_id] = original
    if reposts:
        session.exec(  # SQLAlchemy's bulk UPDATE by primary key
            update(Listing),
            params=[{"id": new_id, "reposted_from_id": repost.original_id} for new_id, repost in reposts.items()],
        )
    return reposts
