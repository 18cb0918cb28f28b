"""Store what one marketplace showed for one search, in one transaction.

filters → bulk upsert of listings (`INSERT … ON CONFLICT`, one cached statement, executemany)
→ a `PriceObservation` only where the price changed → `SearchMatch` links → listings of the
search not seen for a while marked ended → deal rules and the alert outbox.

Idempotent: the same page stored twice changes nothing but `last_seen_at`. Safe with several
workers: the upsert locks the listing rows (PostgreSQL) or the database (SQLite) before the
previous prices are read, so two searches sharing a listing never both record its change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from models.db import dialect_insert
from models.settings import Settings
from models.tables import Condition, Deal, Listing, ListingStatus, PriceObservation, Search, SearchMatch
from scanner import deals
from scanner.marketplaces.base import ListingData
from scanner.observed import ObservedListing

_CHUNK = 500
_CONDITION_WORDS: tuple[tuple[Condition, re.Pattern[str]], ...] = (
    (Condition.FOR_PARTS, re.compile(r"for parts|not working|defekt|ジャンク", re.IGNORECASE)),
    (Condition.REFURBISHED, re.compile(r"refurb|renewed|generalüberholt", re.IGNORECASE)),
    (Condition.NEW, re.compile(r"\bnew\b|brand.new|\bneu\b|新品|未使用", re.IGNORECASE)),
    (Condition.USED, re.compile(r"used|pre-?owned|gebraucht|second.hand|中古|目立った傷", re.IGNORECASE)),
)


@dataclass
class StoreOutcome:
    """What one marketplace's part of a scan did to the database."""

    found: int = 0
    kept: int = 0
    new: int = 0
    price_changes: int = 0
    ended: int = 0
    deals: list[Deal] = field(default_factory=list)


def normalize_condition(text: str | None) -> Condition | None:
    """Map a marketplace's condition wording to ours; None when it says nothing we know."""
    if not text:
        return None
    for condition, pattern in _CONDITION_WORDS:
        if pattern.search(text):
            return condition
    return None


def passes_filters(listing: ListingData, search: Search) -> bool:
    """The search's excluded words, price range and condition."""
    title = listing.title.lower()
    if any(word in title for word in search.excluded_words):
        return False
    if search.min_price is not None or search.max_price is not None:
        if listing.price is None:
            return False
        if search.min_price is not None and listing.price < search.min_price:
            return False
        if search.max_price is not None and listing.price > search.max_price:
            return False
    if search.condition is not None:
        condition = normalize_condition(listing.condition)
        if condition is not None and condition != search.condition:
            return False
    return True


def _unique(listings: Iterable[ListingData]) -> list[ListingData]:
    """One entry per external id (pages overlap when a site shifts results), in a stable order
    so concurrent upserts lock rows in the same order and cannot deadlock."""
    by_id = {listing.external_id: listing for listing in listings}
    return [by_id[key] for key in sorted(by_id)]


def _listing_row(marketplace: str, listing: ListingData, now: datetime) -> dict[str, object]:
    return {
        "marketplace": marketplace,
        "external_id": listing.external_id,
        "title": listing.title[:500],
        "url": listing.url[:2048],
        "image_url": listing.image_url[:2048] if listing.image_url else None,
        "price": listing.price,
        "original_price": listing.original_price,
        "currency": listing.currency,
        "shipping": listing.shipping,
        "condition": listing.condition[:64] if listing.condition else None,
        "location": listing.location[:200] if listing.location else None,
        "seller": listing.seller[:200] if listing.seller else None,
        "ends_at": listing.ends_at,
        "status": ListingStatus(listing.status),
        "first_seen_at": now,
        "last_seen_at": now,
    }


def _upsert_listings(session: Session, rows: list[dict[str, object]]) -> dict[str, int]:
    """Insert or refresh listings; returns external id → listing id."""
    upsert = dialect_insert(session, Listing)
    refreshed = {
        column: getattr(upsert.excluded, column)
        for column in rows[0]
        if column not in ("marketplace", "external_id", "first_seen_at")
    }
    statement = upsert.on_conflict_do_update(
        index_elements=[Listing.marketplace, Listing.external_id], set_=refreshed
    ).returning(Listing.id, Listing.external_id)
    ids: dict[str, int] = {}
    connection = session.connection()  # Core executemany: the ORM's bulk path goes row by row here
    for start in range(0, len(rows), _CHUNK):
        for listing_id, external_id in connection.execute(statement, rows[start : start + _CHUNK]):
            ids[external_id] = listing_id
    return ids


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _latest_prices(session: Session, listing_ids: Sequence[int]) -> dict[int, Decimal]:
    """The last recorded price of each listing (one query per chunk, not per row)."""
    latest: dict[int, Decimal] = {}
    for chunk in _chunks(listing_ids):
        newest = (
            select(PriceObservation.listing_id, func.max(PriceObservation.observed_at).label("at"))
            .where(PriceObservation.listing_id.in_(chunk))
            .group_by(PriceObservation.listing_id)
            .subquery()
        )
        query = select(PriceObservation.listing_id, PriceObservation.price).join(
            newest,
            (PriceObservation.listing_id == newest.c.listing_id) & (PriceObservation.observed_at == newest.c.at),
        )
        latest.update((listing_id, price) for listing_id, price in session.execute(query))
    return latest


def _matched(session: Session, search_id: int) -> set[int]:
    """Every listing the search has matched so far: one range scan of its primary key, cheaper
    than chunked IN lists once the search has history."""
    return set(session.execute(select(SearchMatch.listing_id).where(SearchMatch.search_id == search_id)).scalars())


def _mark_ended(session: Session, search: Search, marketplace: str, now: datetime, settings: Settings) -> int:
    cutoff = now - timedelta(hours=settings.listing_ended_after_hours)
    matched = select(SearchMatch.listing_id).where(SearchMatch.search_id == search.id)
    result = session.execute(
        update(Listing)
        .where(
            Listing.id.in_(matched),
            Listing.marketplace == marketplace,
            Listing.status.in_([ListingStatus.ACTIVE, ListingStatus.PENDING]),
            Listing.last_seen_at < cutoff,
        )
        .values(status=ListingStatus.ENDED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def store_listings(
    session: Session,
    search: Search,
    marketplace: str,
    listings: Sequence[ListingData],
    *,
    now: datetime,
    settings: Settings,
    baseline: bool,
) -> StoreOutcome:
    """Write one marketplace's results for one search; the caller owns the transaction."""
    outcome = StoreOutcome(found=len(listings))
    kept = _unique(listing for listing in listings if passes_filters(listing, search))
    outcome.kept = len(kept)
    if kept:
        ids = _upsert_listings(session, [_listing_row(marketplace, listing, now) for listing in kept])
        listing_ids = sorted(ids.values())
        previous = _latest_prices(session, listing_ids)
        already_matched = _matched(session, search.id)

        changed = [
            {"listing_id": ids[item.external_id], "observed_at": now, "price": item.price, "currency": item.currency}
            for item in kept
            if item.price is not None and previous.get(ids[item.external_id]) != item.price
        ]
        if changed:
            session.connection().execute(insert(PriceObservation), changed)
        outcome.price_changes = sum(1 for row in changed if row["listing_id"] in previous)

        new_matches = [
            {"search_id": search.id, "listing_id": ids[item.external_id], "first_matched_at": now}
            for item in kept
            if ids[item.external_id] not in already_matched
        ]
        if new_matches:
            session.connection().execute(dialect_insert(session, SearchMatch).on_conflict_do_nothing(), new_matches)
        outcome.new = len(new_matches)

        observed = [
            ObservedListing(
                listing_id=ids[item.external_id],
                marketplace=marketplace,
                data=item,
                is_new_match=ids[item.external_id] not in already_matched,
                previous_total=_previous_total(previous.get(ids[item.external_id]), item),
            )
            for item in kept
        ]
        session.flush()
        outcome.deals = deals.find_deals(session, search, observed, baseline=baseline, now=now, settings=settings)
    outcome.ended = _mark_ended(session, search, marketplace, now, settings)
    return outcome


def _previous_total(previous_price: Decimal | None, item: ListingData) -> Decimal | None:
    if previous_price is None:
        return None
    return previous_price + (item.shipping or Decimal(0))
