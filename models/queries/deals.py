"""Reads for the Deals page: the best and newest deals across searches, filtered in SQL, the
comparables behind a deal's market price, and the listings the searches left out as junk.

A listing can be a deal for a search for several reasons (under the target *and* below the
market); the page shows it once, with every reason, so rows are merged per (search, listing).
Suspicious deals (too good to be true) are read apart, so they never lead the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Row
from sqlmodel import Session, col, exists, or_, select

from models.queries import read_rows
from models.queries.distinct import distinct_values
from models.tables import LISTING_TOTAL, Deal, DealReason, JunkKind, Listing, ListingStatus, Search, SearchMatch

DealOrder = Literal["best", "newest"]
EXCLUDED_LIMIT = 200


@dataclass(frozen=True)
class DealFilter:
    search_ids: tuple[int, ...] = ()
    marketplaces: tuple[str, ...] = ()
    reasons: tuple[DealReason, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    include_dismissed: bool = False
    include_ended: bool = False
    suspicious: bool = False  # the too-good-to-be-true deals instead of the others
    order: DealOrder = "best"
    limit: int = 200


@dataclass(frozen=True)
class MarketFigures:
    """The market price a deal was judged against, all from the one deal that recorded it."""

    deal_id: int
    price: Decimal
    percent_under: Decimal | None  # the deal's score; negative above the market
    sample_size: int | None
    confidence: Decimal | None  # 0–1


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
    market: MarketFigures | None
    suspicious: bool
    detected_at: datetime
    first_seen_at: datetime
    dismissed: bool


@dataclass(frozen=True)
class Comparable:
    """A listing a deal's market price rests on, as it is now."""

    listing_id: int
    title: str
    url: str
    marketplace: str
    total_price: Decimal | None  # None once it lost its price
    currency: str


@dataclass(frozen=True)
class ExcludedListing:
    """A listing a search found and left out as junk for its query."""

    search_id: int
    search_name: str
    listing_id: int
    junk: JunkKind
    title: str
    url: str
    marketplace: str
    total_price: Decimal | None
    currency: str
    matched_at: datetime


@dataclass(frozen=True)
class DealFacets:
    """What the filters can offer, from the deals that exist."""

    marketplaces: tuple[str, ...]
    reasons: tuple[DealReason, ...]


# Only what a row shows: loading whole Deal and Listing objects was most of the read's time.
_COLUMNS: tuple[sa.SQLColumnExpression[Any], ...] = (
    sa.label("deal_id", col(Deal.id)),
    col(Deal.reason),
    col(Deal.search_id),
    col(Deal.listing_id),
    col(Deal.total_price),
    col(Deal.currency),
    col(Deal.market_price),
    col(Deal.score),
    col(Deal.sample_size),
    col(Deal.confidence),
    col(Deal.suspicious),
    col(Deal.detected_at),
    col(Deal.dismissed),
    sa.label("search_name", col(Search.name)),
    col(Listing.title),
    col(Listing.url),
    col(Listing.image_url),
    col(Listing.marketplace),
    col(Listing.location),
    sa.label("listing_status", col(Listing.status)),
    col(Listing.first_seen_at),
)


def list_deals(session: Session, filters: DealFilter = DealFilter()) -> list[DealRow]:
    """Deals matching `filters`: "best" is the largest % under market first (deals without a market
    price after), "newest" the latest detected first; at most `filters.limit` deals are read."""
    query = (
        sa.select(*_COLUMNS)
        .join(Listing, col(Listing.id) == col(Deal.listing_id))
        .join(Search, col(Search.id) == col(Deal.search_id))
        .where(col(Deal.suspicious).is_(filters.suspicious))
    )
    if filters.search_ids:
        query = query.where(col(Deal.search_id).in_(filters.search_ids))
    if filters.marketplaces:
        query = query.where(col(Listing.marketplace).in_(filters.marketplaces))
    if filters.reasons:
        query = query.where(col(Deal.reason).in_(filters.reasons))
    if filters.min_price is not None:
        query = query.where(col(Deal.total_price) >= filters.min_price)
    if filters.max_price is not None:
        query = query.where(col(Deal.total_price) <= filters.max_price)
    if not filters.include_dismissed:
        query = query.where(col(Deal.dismissed).is_(False))
    if not filters.include_ended:
        query = query.where(col(Listing.status) == ListingStatus.ACTIVE)
    newest = (col(Deal.detected_at).desc(), col(Deal.id).desc())
    if filters.order == "newest":
        return _merge_reasons(read_rows(session, query.order_by(*newest).limit(filters.limit)).all())
    # "score DESC NULLS LAST" in two steps, each read in the order of the index on (score,
    # detected_at, id): an index cannot say NULLS LAST on SQLite, and PostgreSQL puts NULLs first.
    scored = query.where(col(Deal.score).is_not(None)).order_by(col(Deal.score).desc(), *newest)
    rows = list(read_rows(session, scored.limit(filters.limit)).all())
    if len(rows) < filters.limit and not filters.suspicious:  # suspicious means far under a market: scored
        unscored = query.where(col(Deal.score).is_(None)).order_by(*newest).limit(filters.limit - len(rows))
        rows.extend(read_rows(session, unscored).all())
    return _merge_reasons(rows)


def _merge_reasons(rows: Sequence[Row[*tuple[Any, ...]]]) -> list[DealRow]:
    """One row per (search, listing), in the order of its first deal, carrying every reason."""
    merged: dict[tuple[int, int], DealRow] = {}
    for row in rows:
        key = (row.search_id, row.listing_id)
        seen = merged.get(key)
        if seen is not None:
            merged[key] = replace(
                seen,
                deal_ids=(*seen.deal_ids, row.deal_id),
                reasons=tuple(reason for reason in DealReason if reason in {*seen.reasons, row.reason}),
                market=seen.market or _market(row),
                dismissed=seen.dismissed and row.dismissed,
            )
            continue
        merged[key] = DealRow(
            deal_ids=(row.deal_id,),
            reasons=(DealReason(row.reason),),
            search_id=row.search_id,
            search_name=row.search_name,
            listing_id=row.listing_id,
            title=row.title,
            url=row.url,
            image_url=row.image_url,
            marketplace=row.marketplace,
            location=row.location,
            listing_status=ListingStatus(row.listing_status),
            total_price=row.total_price,
            currency=row.currency,
            market=_market(row),
            suspicious=row.suspicious,
            detected_at=row.detected_at,
            first_seen_at=row.first_seen_at,
            dismissed=row.dismissed,
        )
    return list(merged.values())


def _market(row: Row[*tuple[Any, ...]]) -> MarketFigures | None:
    if row.market_price is None:
        return None
    return MarketFigures(row.deal_id, row.market_price, row.score, row.sample_size, row.confidence)


def deal_facets(session: Session) -> DealFacets:
    """Marketplaces and reasons that have deals (both empty while there are no deals at all).

    Without reading every deal: the listings' marketplaces are skipped through in their index,
    each kept when one of its listings has a deal, and each reason is looked up in its index."""
    marketplaces = distinct_values(col(Listing.marketplace), "marketplaces")
    # A scalar subquery with LIMIT 1, not EXISTS: PostgreSQL would turn EXISTS into a join of
    # every deal with its listing instead of stopping at the first deal of each marketplace.
    one_deal = (
        select(col(Deal.id))
        .join(Listing, col(Listing.id) == col(Deal.listing_id))
        .where(col(Listing.marketplace) == marketplaces.c.value)
        .limit(1)
        .scalar_subquery()
    )
    found = session.exec(
        select(marketplaces.c.value).where(marketplaces.c.value.is_not(None), one_deal.is_not(None))
    ).all()
    one_per_reason = sa.select(*(exists().where(col(Deal.reason) == reason) for reason in DealReason))
    present = read_rows(session, one_per_reason).one()
    return DealFacets(
        marketplaces=tuple(sorted(found)),
        reasons=tuple(reason for reason, there in zip(DealReason, present, strict=True) if there),
    )


def deal_comparables(session: Session, deal_id: int) -> list[Comparable]:
    """The stored comparables of a deal, cheapest first (none when it recorded none). Pruned
    listings are gone from the answer, so it can be shorter than the deal's list."""
    ids = session.exec(select(col(Deal.comparables)).where(col(Deal.id) == deal_id)).one_or_none()
    if not ids:
        return []
    rows = read_rows(
        session,
        sa.select(
            col(Listing.id),
            col(Listing.title),
            col(Listing.url),
            col(Listing.marketplace),
            LISTING_TOTAL.label("total"),
            col(Listing.currency),
        ).where(col(Listing.id).in_(ids)),
    ).all()
    found = [Comparable(row.id, row.title, row.url, row.marketplace, row.total, row.currency) for row in rows]
    return sorted(found, key=lambda item: (item.total_price is None, item.total_price or 0, item.listing_id))


def excluded_listings(
    session: Session, search_ids: tuple[int, ...] = (), limit: int = EXCLUDED_LIMIT
) -> list[ExcludedListing]:
    """Listings the searches (all when `search_ids` is empty) left out as junk, newest match
    first. For-parts listings count as found, not excluded, for searches that ask for them."""
    query = (
        sa.select(
            col(SearchMatch.search_id),
            sa.label("search_name", col(Search.name)),
            col(SearchMatch.listing_id),
            col(SearchMatch.junk),
            col(SearchMatch.first_matched_at),
            col(Listing.title),
            col(Listing.url),
            col(Listing.marketplace),
            LISTING_TOTAL.label("total"),
            col(Listing.currency),
        )
        .join(Listing, col(Listing.id) == col(SearchMatch.listing_id))
        .join(Search, col(Search.id) == col(SearchMatch.search_id))
        .where(
            col(SearchMatch.junk).is_not(None),
            or_(col(SearchMatch.junk) != JunkKind.FOR_PARTS, col(Search.include_for_parts).is_(False)),
        )
    )
    if search_ids:
        query = query.where(col(SearchMatch.search_id).in_(search_ids))
    newest = query.order_by(col(SearchMatch.first_matched_at).desc(), col(SearchMatch.listing_id).desc()).limit(limit)
    return [
        ExcludedListing(
            search_id=row.search_id,
            search_name=row.search_name,
            listing_id=row.listing_id,
            junk=JunkKind(row.junk),
            title=row.title,
            url=row.url,
            marketplace=row.marketplace,
            total_price=row.total,
            currency=row.currency,
            matched_at=row.first_matched_at,
        )
        for row in read_rows(session, newest).all()
    ]
