"""Reads for the Deals page: the best and newest deals across searches, filtered in SQL.

A listing can be a deal for a search for several reasons (under the target *and* below the
market); the page shows it once, with every reason, so rows are merged per (search, listing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlmodel import Session, col, select

from models.tables import Deal, DealReason, Listing, ListingStatus, Search

DealOrder = Literal["best", "newest"]


@dataclass(frozen=True)
class DealFilter:
    search_ids: tuple[int, ...] = ()
    marketplaces: tuple[str, ...] = ()
    reasons: tuple[DealReason, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    include_dismissed: bool = False
    include_ended: bool = False
    order: DealOrder = "best"
    limit: int = 200


@dataclass(frozen=True)
class DealRow:
    deal_ids: tuple[int, ...]
    reasons: tuple[DealReason, ...]
    search_id: int
    search_name: str
    listing_id: int
    title: str
    url: str
    image_url: str | None
    marketplace: str
    location: str | None
    listing_status: ListingStatus
    total_price: Decimal
    currency: str
    market_price: Decimal | None
    percent_under: Decimal | None  # the deal's score: % under the market price when there was one
    detected_at: datetime
    first_seen_at: datetime
    dismissed: bool


@dataclass(frozen=True)
class DealFacets:
    """What the filters can offer, from the deals that exist."""

    marketplaces: tuple[str, ...]
    reasons: tuple[DealReason, ...]


def list_deals(session: Session, filters: DealFilter = DealFilter()) -> list[DealRow]:
    """Deals matching `filters`: "best" is the largest % under market first (deals without a market
    price after), "newest" the latest detected first; at most `filters.limit` deals are read."""
    query = (
        select(Deal, Listing, Search.name)
        .join(Listing, col(Listing.id) == col(Deal.listing_id))
        .join(Search, col(Search.id) == col(Deal.search_id))
    )
    if filters.search_ids:
        query = query.where(col(Deal.search_id).in_(filters.search_ids))
    if filters.marketplaces:
        query = query.where(col(Listing.marketplace).in_(filters.marketplaces))
    if filters.reasons:
        query = query.where(col(Deal.reason).in_(filters.reasons))
    if filters.min_price is not None:
        query = query.where(Deal.total_price >= filters.min_price)
    if filters.max_price is not None:
        query = query.where(Deal.total_price <= filters.max_price)
    if not filters.include_dismissed:
        query = query.where(col(Deal.dismissed).is_(False))
    if not filters.include_ended:
        query = query.where(Listing.status == ListingStatus.ACTIVE)
    newest = (col(Deal.detected_at).desc(), col(Deal.id).desc())
    if filters.order == "best":
        query = query.order_by(col(Deal.score).desc().nulls_last(), *newest)
    else:
        query = query.order_by(*newest)
    rows = session.exec(query.limit(filters.limit)).all()
    return _merge_reasons(rows)


def _merge_reasons(rows: Sequence[tuple[Deal, Listing, str]]) -> list[DealRow]:
    """One row per (search, listing), in the order of its first deal, carrying every reason."""
    merged: dict[tuple[int, int], DealRow] = {}
    for deal, listing, search_name in rows:
        key = (deal.search_id, deal.listing_id)
        seen = merged.get(key)
        if seen is not None:
            merged[key] = replace(
                seen,
                deal_ids=(*seen.deal_ids, deal.id or 0),
                reasons=tuple(reason for reason in DealReason if reason in {*seen.reasons, deal.reason}),
                market_price=seen.market_price if seen.market_price is not None else deal.market_price,
                percent_under=seen.percent_under if seen.percent_under is not None else deal.score,
                dismissed=seen.dismissed and deal.dismissed,
            )
            continue
        merged[key] = DealRow(
            deal_ids=(deal.id or 0,),
            reasons=(DealReason(deal.reason),),
            search_id=deal.search_id,
            search_name=search_name,
            listing_id=deal.listing_id,
            title=listing.title,
            url=listing.url,
            image_url=listing.image_url,
            marketplace=listing.marketplace,
            location=listing.location,
            listing_status=ListingStatus(listing.status),
            total_price=deal.total_price,
            currency=deal.currency,
            market_price=deal.market_price,
            percent_under=deal.score,
            detected_at=deal.detected_at,
            first_seen_at=listing.first_seen_at,
            dismissed=deal.dismissed,
        )
    return list(merged.values())


def deal_facets(session: Session) -> DealFacets:
    """Marketplaces and reasons that have deals (both empty while there are no deals at all)."""
    marketplaces = session.exec(
        select(Listing.marketplace).join(Deal, col(Deal.listing_id) == col(Listing.id)).distinct()
    ).all()
    reasons = session.exec(select(Deal.reason).distinct()).all()
    return DealFacets(
        marketplaces=tuple(sorted(marketplaces)),
        reasons=tuple(reason for reason in DealReason if reason in set(reasons)),
    )
