"""Reads for the Price history page: what a search's listings cost over time, and one listing's
price steps.

A search may have years of observations; the chart needs a few thousand points at most. So the
database picks the resolution: every observation while they fit under `max_points`, otherwise
min/avg/max per hour or per day and marketplace (`strftime` on SQLite, `date_trunc` in UTC on
PostgreSQL), newest first and capped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, literal_column, type_coerce
from sqlmodel import Session, col, select

from models.tables import Listing, ListingStatus, PriceObservation, Search, SearchMatch
from models.types import ExactDecimal, UTCDateTime

Resolution = Literal["raw", "hour", "day"]
DEFAULT_MAX_POINTS = 2000
_BUCKET_SECONDS = {"hour": 3600, "day": 86400}
_SQLITE_BUCKET_FORMAT = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00"}


@dataclass(frozen=True)
class PricePoint:
    """One observation (raw) or one bucket of observations of one marketplace (hour/day)."""

    at: datetime
    marketplace: str
    currency: str
    price: Decimal  # the observed price, or the bucket's average
    low: Decimal
    high: Decimal
    observations: int
    listing_id: int | None = None  # raw points only
    title: str | None = None


@dataclass(frozen=True)
class PriceHistory:
    resolution: Resolution
    points: list[PricePoint]  # oldest first
    observations: int  # all observations in the window, before any capping
    truncated: bool  # the oldest part of the window was left out to stay under the cap


@dataclass(frozen=True)
class ListingChoice:
    id: int
    title: str
    url: str
    marketplace: str
    price: Decimal | None
    currency: str
    status: ListingStatus
    last_seen_at: datetime


@dataclass(frozen=True)
class ListingHistory:
    listing: ListingChoice
    first_seen_at: datetime
    ended: bool  # sold or ended: the chart marks `listing.last_seen_at` as the end
    points: list[tuple[datetime, Decimal]]  # (observed_at, price), oldest first
    truncated: bool


def _search_observations(search_id: int, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(SearchMatch.search_id) == search_id]
    if since is not None:
        conditions.append(col(PriceObservation.observed_at) >= since)
    return conditions


def _joined(query: Any) -> Any:
    return query.join(Listing, col(Listing.id) == col(PriceObservation.listing_id)).join(
        SearchMatch, col(SearchMatch.listing_id) == col(Listing.id)
    )


def bucket_start(column: Any, unit: Literal["hour", "day"], dialect: str) -> ColumnElement[datetime]:
    """The UTC hour or day a timestamp falls in, computed by the database.

    Constants are inlined (not bound) so PostgreSQL sees the GROUP BY expression as the very one
    selected."""
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        expression = func.date_trunc(literal_column(f"'{unit}'"), utc)
    else:
        expression = func.strftime(literal_column(f"'{_SQLITE_BUCKET_FORMAT[unit]}'"), column)
    return type_coerce(expression, UTCDateTime)


def choose_resolution(observations: int, span: timedelta, marketplaces: int, max_points: int) -> Resolution:
    """Every point while they fit; else the finest bucket whose expected count fits."""
    if observations <= max_points:
        return "raw"
    hours = math.ceil(span.total_seconds() / _BUCKET_SECONDS["hour"]) + 1
    return "hour" if hours * max(marketplaces, 1) <= max_points else "day"


def search_price_history(
    session: Session, search_id: int, *, since: datetime | None = None, max_points: int = DEFAULT_MAX_POINTS
) -> PriceHistory:
    """Every observed price of the listings a search matched (since `since`), at a resolution
    that keeps the answer under `max_points` rows."""
    conditions = _search_observations(search_id, since)
    count, first, last, marketplaces = session.exec(
        _joined(
            select(
                func.count(),
                func.min(PriceObservation.observed_at),
                func.max(PriceObservation.observed_at),
                func.count(func.distinct(Listing.marketplace)),
            )
        ).where(*conditions)
    ).one()
    if not count:
        return PriceHistory("raw", [], 0, False)
    resolution = choose_resolution(int(count), last - first, int(marketplaces), max_points)
    if resolution == "raw":
        points = _raw_points(session, conditions, max_points)
    else:
        points = _bucketed_points(session, conditions, resolution, max_points)
    sampled = len(points) if resolution == "raw" else sum(point.observations for point in points)
    return PriceHistory(resolution, points, int(count), truncated=sampled < int(count))


def _raw_points(session: Session, conditions: list[ColumnElement[bool]], max_points: int) -> list[PricePoint]:
    rows = session.exec(
        _joined(
            select(
                PriceObservation.observed_at,
                PriceObservation.price,
                PriceObservation.currency,
                Listing.id,
                Listing.title,
                Listing.marketplace,
            )
        )
        .where(*conditions)
        .order_by(col(PriceObservation.observed_at).desc(), col(PriceObservation.id).desc())
        .limit(max_points)
    ).all()
    return [
        PricePoint(
            at=observed_at,
            marketplace=marketplace,
            currency=currency,
            price=price,
            low=price,
            high=price,
            observations=1,
            listing_id=listing_id,
            title=title,
        )
        for observed_at, price, currency, listing_id, title, marketplace in reversed(rows)
    ]


def search_price_buckets(
    session: Session,
    search_id: int,
    unit: Literal["hour", "day"],
    *,
    since: datetime | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
) -> list[PricePoint]:
    """Average, lowest and highest observed price per UTC hour or day and marketplace (and
    currency), the newest `max_points` buckets, oldest first."""
    return _bucketed_points(session, _search_observations(search_id, since), unit, max_points)


def _bucketed_points(
    session: Session, conditions: list[ColumnElement[bool]], unit: Literal["hour", "day"], max_points: int
) -> list[PricePoint]:
    bucket = bucket_start(PriceObservation.observed_at, unit, session.get_bind().dialect.name)
    rows = session.exec(
        _joined(
            select(
                bucket,
                Listing.marketplace,
                PriceObservation.currency,
                type_coerce(func.avg(PriceObservation.price), ExactDecimal),
                func.min(PriceObservation.price),
                func.max(PriceObservation.price),
                func.count(),
            )
        )
        .where(*conditions)
        .group_by(bucket, Listing.marketplace, PriceObservation.currency)
        .order_by(bucket.desc(), col(Listing.marketplace).desc(), col(PriceObservation.currency).desc())
        .limit(max_points)
    ).all()
    return [
        PricePoint(
            at=at,
            marketplace=marketplace,
            currency=currency,
            price=average.quantize(Decimal("0.01")),
            low=low,
            high=high,
            observations=int(observations),
        )
        for at, marketplace, currency, average, low, high, observations in reversed(rows)
    ]


def listing_choices(session: Session, search_id: int, limit: int = 300) -> list[ListingChoice]:
    """The listings a search matched, most recently seen first: the listing picker's options."""
    rows = session.exec(
        select(Listing)
        .join(SearchMatch, col(SearchMatch.listing_id) == col(Listing.id))
        .where(SearchMatch.search_id == search_id)
        .order_by(col(Listing.last_seen_at).desc(), col(Listing.id).desc())
        .limit(limit)
    ).all()
    return [_choice(listing) for listing in rows]


def _choice(listing: Listing) -> ListingChoice:
    return ListingChoice(
        id=listing.id or 0,
        title=listing.title,
        url=listing.url,
        marketplace=listing.marketplace,
        price=listing.price,
        currency=listing.currency,
        status=ListingStatus(listing.status),
        last_seen_at=listing.last_seen_at,
    )


def listing_price_history(
    session: Session, listing_id: int, *, max_points: int = DEFAULT_MAX_POINTS
) -> ListingHistory | None:
    """Every price one listing had (the newest `max_points`), or None when it does not exist."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        return None
    rows = session.exec(
        select(col(PriceObservation.observed_at), col(PriceObservation.price))
        .where(PriceObservation.listing_id == listing_id)
        .order_by(col(PriceObservation.observed_at).desc(), col(PriceObservation.id).desc())
        .limit(max_points + 1)
    ).all()
    return ListingHistory(
        listing=_choice(listing),
        first_seen_at=listing.first_seen_at,
        ended=ListingStatus(listing.status) in (ListingStatus.SOLD, ListingStatus.ENDED),
        points=[(observed_at, price) for observed_at, price in reversed(rows[:max_points])],
        truncated=len(rows) > max_points,
    )


def target_price(session: Session, search_id: int) -> tuple[Decimal | None, str]:
    """The search's target price and currency, for the chart's target line."""
    row = session.exec(select(col(Search.target_price), col(Search.currency)).where(Search.id == search_id)).first()
    return (row[0], row[1]) if row else (None, "USD")
