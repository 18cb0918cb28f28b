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
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, SQLColumnExpression
from sqlmodel import Session, case, col, func, literal_column, select, type_coerce

from models.queries import read_rows
from models.tables import Listing, ListingStatus, PriceObservation, Search, SearchMatch
from models.types import ExactDecimal, UTCDateTime

Resolution = Literal["raw", "hour", "day"]
DEFAULT_MAX_POINTS = 2000
_BUCKET_SECONDS = {"hour": 3600, "day": 86400}
_SQLITE_BUCKET_FORMAT = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00"}
_Query = TypeVar("_Query", bound=sa.Select[*tuple[Any, ...]])


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
    currency: str | None
    status: ListingStatus
    last_seen_at: datetime


@dataclass(frozen=True)
class ListingHistory:
    listing: ListingChoice
    first_seen_at: datetime
    ended: bool  # sold or ended: the chart marks `listing.last_seen_at` as the end
    points: list[tuple[datetime, Decimal]]  # (observed_at, price), oldest first
    truncated: bool


class _SearchPrices:
    """The prices of the listings a search matched, since `since`: the rows every chart query reads.

    The matched listings (id, marketplace, title) are read once, as a CTE materialized on
    PostgreSQL: otherwise the planner, which cannot know that a busy search's listings have a
    hundred prices each in the window, looks the listing up again for every price."""

    def __init__(self, search_id: int, since: datetime | None) -> None:
        self.listings = (
            select(col(Listing.id), col(Listing.marketplace), col(Listing.title))
            .join(SearchMatch, col(SearchMatch.listing_id) == col(Listing.id))
            .where(col(SearchMatch.search_id) == search_id)
            .cte("matched")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        self.window: list[ColumnElement[bool]] = [] if since is None else [col(PriceObservation.observed_at) >= since]

    def read(self, query: _Query) -> _Query:
        """`query` (a SELECT of columns) reading these prices."""
        return (
            query.select_from(PriceObservation)
            .join(self.listings, self.listings.c.id == col(PriceObservation.listing_id))
            .where(*self.window)
        )

    def count(self, session: Session, up_to: int | None = None) -> int:
        """How many prices there are, or `up_to` when there are at least that many."""
        prices = self.read(select(col(PriceObservation.id)))
        if up_to is not None:
            prices = prices.limit(up_to)
        return int(session.exec(select(func.count()).select_from(prices.subquery())).one())

    def extent(self, session: Session) -> tuple[timedelta, int]:
        """From the first to the last price, and on how many marketplaces, from each listing's
        first and last price in the window (the index on listing and time finds both at once)."""
        observed = [col(PriceObservation.listing_id) == self.listings.c.id, *self.window]
        first = select(func.min(col(PriceObservation.observed_at))).where(*observed).scalar_subquery()
        last = select(func.max(col(PriceObservation.observed_at))).where(*observed).scalar_subquery()
        # Materialized on PostgreSQL, which would otherwise look `first` up once per use of it.
        per_listing = (
            select(self.listings.c.marketplace, first.label("first"), last.label("last"))
            .cte("per_listing")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        priced = case((per_listing.c.first.is_not(None), per_listing.c.marketplace))  # listings with prices
        start, end, marketplaces = session.exec(
            select(
                type_coerce(func.min(per_listing.c.first), UTCDateTime),
                type_coerce(func.max(per_listing.c.last), UTCDateTime),
                func.count(func.distinct(priced)),
            )
        ).one()
        return end - start, int(marketplaces)


def bucket_start(
    column: SQLColumnExpression[datetime], unit: Literal["hour", "day"], dialect: str
) -> ColumnElement[datetime]:
    """The UTC hour or day a timestamp falls in, computed by the database.

    Constants are inlined (not bound) so PostgreSQL sees the GROUP BY expression as the very one
    selected. PostgreSQL bins the instant itself from a UTC midnight (`date_bin`, PostgreSQL 14+):
    whatever the session's time zone, and a fifth cheaper per price than `date_trunc` on the time
    converted to UTC."""
    expression: ColumnElement[Any]
    if dialect == "postgresql":
        origin: ColumnElement[datetime] = literal_column("TIMESTAMPTZ '2000-01-01 00:00:00+00'")
        expression = func.date_bin(literal_column(f"INTERVAL '1 {unit}'"), column, origin)
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
    that keeps the answer under `max_points` rows.

    Only the chart's own query reads every price: whether they fit as raw points is counted up
    to `max_points + 1`, the span from each listing's first and last price (two index look-ups
    per listing), and the total from the buckets unless they were capped."""
    prices = _SearchPrices(search_id, since)
    counted = prices.count(session, up_to=max_points + 1)
    if counted <= max_points:
        points = _raw_points(session, prices, max_points)
        return PriceHistory("raw", points, len(points), truncated=False)
    span, marketplaces = prices.extent(session)
    resolution = choose_resolution(counted, span, marketplaces, max_points)
    assert resolution != "raw", "more prices than max_points are never shown raw"
    points = _bucketed_points(session, prices, resolution, max_points)
    shown = sum(point.observations for point in points)
    total = prices.count(session) if len(points) == max_points else shown
    return PriceHistory(resolution, points, total, truncated=shown < total)


def _raw_points(session: Session, prices: _SearchPrices, max_points: int) -> list[PricePoint]:
    listing = prices.listings.c
    rows = read_rows(
        session,
        prices.read(
            sa.select(
                col(PriceObservation.observed_at),
                col(PriceObservation.price),
                col(PriceObservation.currency),
                listing.id,
                listing.title,
                listing.marketplace,
            )
        )
        .order_by(col(PriceObservation.observed_at).desc(), col(PriceObservation.id).desc())
        .limit(max_points),
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
    return _bucketed_points(session, _SearchPrices(search_id, since), unit, max_points)


def _bucketed_points(
    session: Session, prices: _SearchPrices, unit: Literal["hour", "day"], max_points: int
) -> list[PricePoint]:
    """Grouped in a subquery and only then ordered: PostgreSQL then hashes the prices into their
    buckets instead of sorting every price to group them (twice as fast on 200k prices)."""
    bucket = bucket_start(col(PriceObservation.observed_at), unit, session.get_bind().dialect.name)
    buckets = (
        prices.read(
            sa.select(
                bucket.label("at"),
                prices.listings.c.marketplace,
                sa.label("currency", col(PriceObservation.currency)),
                type_coerce(func.avg(col(PriceObservation.price)), ExactDecimal).label("price"),
                func.min(col(PriceObservation.price)).label("low"),
                func.max(col(PriceObservation.price)).label("high"),
                func.count().label("observations"),
            )
        )
        .group_by(bucket, prices.listings.c.marketplace, col(PriceObservation.currency))
        .subquery("buckets")
    )
    newest = buckets.c.at.desc(), buckets.c.marketplace.desc(), buckets.c.currency.desc()
    rows = read_rows(session, sa.select(*buckets.c).order_by(*newest).limit(max_points)).all()
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
        .where(col(SearchMatch.search_id) == search_id)
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


#: How many reposts back a listing's history is followed.
MAX_REPOSTS = 20


def repost_chain(session: Session, listing: Listing) -> list[Listing]:
    """The listing and the earlier listings it reposts, newest first."""
    chain = [listing]
    while chain[-1].reposted_from_id is not None and len(chain) <= MAX_REPOSTS:
        earlier = session.get(Listing, chain[-1].reposted_from_id)
        if earlier is None or earlier in chain:
            break
        chain.append(earlier)
    return chain


def listing_price_history(
    session: Session, listing_id: int, *, max_points: int = DEFAULT_MAX_POINTS
) -> ListingHistory | None:
    """Every price one listing had (the newest `max_points`), continued through the listings it
    reposts; None when it does not exist."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        return None
    chain = repost_chain(session, listing)
    rows = session.exec(
        select(col(PriceObservation.observed_at), col(PriceObservation.price))
        .where(col(PriceObservation.listing_id).in_([one.id for one in chain]))
        .order_by(col(PriceObservation.observed_at).desc(), col(PriceObservation.id).desc())
        .limit(max_points + 1)
    ).all()
    return ListingHistory(
        listing=_choice(listing),
        first_seen_at=chain[-1].first_seen_at,
        ended=ListingStatus(listing.status) in (ListingStatus.SOLD, ListingStatus.ENDED),
        points=[(observed_at, price) for observed_at, price in reversed(rows[:max_points])],
        truncated=len(rows) > max_points,
    )


def target_price(session: Session, search_id: int) -> tuple[Decimal | None, str]:
    """The search's target price and currency, for the chart's target line."""
    row = session.exec(
        select(col(Search.target_price), col(Search.currency)).where(col(Search.id) == search_id)
    ).first()
    return (row[0], row[1]) if row else (None, "USD")
