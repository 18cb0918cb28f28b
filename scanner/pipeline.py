"""Store what one marketplace showed for one search, in one transaction.

filters → one upsert of all listings (`models.bulk`), which also hands back each listing's last
known price → a `PriceObservation` only where the price changed → `SearchMatch`
links → listings of the search not seen for a while marked ended → deal rules and the outbox.

Idempotent: the same page stored twice changes nothing but `last_seen_at`. Safe with several
workers: the upsert moves `price` to `previous_price` under the row's lock (PostgreSQL) or the
database's (SQLite), so two searches sharing a listing never both record its change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, bindparam, col, func, select, update
from sqlmodel.sql.expression import SelectOfScalar

from models.bulk import insert_rows
from models.settings import Settings
from models.tables import Deal, JunkKind, Listing, ListingStatus, PriceObservation, Search, SearchMatch, table_of
from scanner import deals
from scanner.appraisal.condition import normalize_condition
from scanner.appraisal.junk import classify
from scanner.appraisal.listing import candidate
from scanner.appraisal.verdict import Candidate
from scanner.marketplaces.base import ListingData
from scanner.matches import per_match
from scanner.observed import ObservedListing
from scanner.reposts import link_reposts


@dataclass
class StoreOutcome:
    """What one marketplace's part of a scan did to the database."""

    found: int = 0
    kept: int = 0
    new: int = 0
    price_changes: int = 0
    ended: int = 0
    deals: list[Deal] = field(default_factory=list)


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


def _one_per_id_sorted(listings: Iterable[ListingData]) -> list[ListingData]:
    """One entry per external id (pages overlap when a site shifts results), in a stable order
    so concurrent upserts lock rows in the same order and cannot deadlock."""
    by_id = {listing.external_id: listing for listing in listings}
    return [by_id[key] for key in sorted(by_id)]


def _listing_row(marketplace: str, listing: ListingData, judged: Candidate, now: datetime) -> dict[str, object]:
    return {
        "marketplace": marketplace,
        "external_id": listing.external_id,
        "title": listing.title,
        "url": listing.url,
        "image_url": listing.image_url,
        "price": listing.price,
        "original_price": listing.original_price,
        "currency": listing.currency,
        "shipping": listing.shipping,
        "condition": listing.condition,
        "location": listing.location,
        "seller": listing.seller,
        "ends_at": listing.ends_at,
        "status": ListingStatus(listing.status),
        "product_key": judged.identity.key,
        "condition_class": judged.condition,
        "junk": judged.junk,
        "first_seen_at": now,
        "last_seen_at": now,
    }


# On conflict, the stored price becomes the previous one — the last known: a price that failed to
# load is no change. A constant, so that every batch reuses the same cached statement.
_REMEMBER_PRICE = (("previous_price", func.coalesce(col(Listing.price), col(Listing.previous_price))),)

# The tables the bulk statements of `models.bulk` write to.
_LISTINGS = table_of(Listing)
_MATCHES = table_of(SearchMatch)
_OBSERVATIONS = table_of(PriceObservation)


@dataclass(frozen=True)
class _Upserted:
    listing_id: int
    previous_price: Decimal | None  # the last known price before now
    first_seen_at: datetime  # now, for a listing seen for the first time


def _upsert_listings(session: Session, rows: list[dict[str, object]]) -> dict[str, _Upserted]:
    """Insert or refresh listings; returns external id → what the database knew of each."""
    refreshed = [column for column in rows[0] if column not in ("marketplace", "external_id", "first_seen_at")]
    upserted = insert_rows(
        session,
        _LISTINGS,
        rows,
        conflict=("marketplace", "external_id"),
        update=refreshed,
        also_set=_REMEMBER_PRICE,
        returning=(col(Listing.id), col(Listing.external_id), col(Listing.previous_price), col(Listing.first_seen_at)),
    )
    return {
        external_id: _Upserted(listing_id, previous, first) for listing_id, external_id, previous, first in upserted
    }


def _matched_before(session: Session, search_id: int, listing_ids: Iterable[int]) -> set[int]:
    """Which of these listings the search had matched (the originals of reposts it now sees)."""
    wanted = sorted(set(listing_ids))
    if not wanted:
        return set()
    matched = select(col(SearchMatch.listing_id)).where(
        col(SearchMatch.search_id) == search_id, col(SearchMatch.listing_id).in_(wanted)
    )
    return set(session.exec(matched))


def _add_matches(session: Session, search_id: int, junk: dict[int, JunkKind | None], now: datetime) -> set[int]:
    """Link the search to these listings (id → junk kind for this search's query); returns the
    ones it had never matched before."""
    inserted = insert_rows(
        session,
        _MATCHES,
        [
            {"search_id": search_id, "listing_id": listing_id, "first_matched_at": now, "junk": junk[listing_id]}
            for listing_id in sorted(junk)
        ],
        conflict=("search_id", "listing_id"),
        returning=(col(SearchMatch.listing_id),),
    )
    return {listing_id for (listing_id,) in inserted}


_STILL_LISTED = col(Listing.status).in_([ListingStatus.ACTIVE, ListingStatus.PENDING])
_UNSEEN = col(Listing.last_seen_at) < bindparam("cutoff")


def _unseen_of_search() -> SelectOfScalar[int]:
    """The search's listings on one marketplace, still listed, that no scan has seen since the
    cutoff. Built once with bind parameters, like every statement a scan runs each time."""
    stale = per_match(
        bindparam("search_id"),
        _LISTINGS.c.id,  # `per_match` takes a column element, which `col(Listing.id)` is not typed as
        col(Listing.marketplace) == bindparam("marketplace"),
        _STILL_LISTED,
        _UNSEEN,
    )
    return select(stale.c.value).where(stale.c.value.is_not(None))


_UNSEEN_OF_SEARCH = _unseen_of_search()


def _mark_ended(session: Session, search: Search, marketplace: str, now: datetime, settings: Settings) -> int:
    """Listings of this search and marketplace not seen for `listing_ended_after_hours` have ended."""
    cutoff = now - timedelta(hours=settings.listing_ended_after_hours)
    parameters = {"search_id": search.id, "marketplace": marketplace, "cutoff": cutoff}
    ended = sorted(session.exec(_UNSEEN_OF_SEARCH, params=parameters))
    if not ended:
        return 0
    result = session.exec(
        update(Listing)  # the conditions again: another worker may have seen one of them meanwhile
        .where(col(Listing.id).in_(ended), _STILL_LISTED, _UNSEEN)
        .values(status=ListingStatus.ENDED)
        .execution_options(synchronize_session=False),
        params={"cutoff": cutoff},
    )
    return result.rowcount


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
    """Write one marketplace's results for one search; the caller owns the transaction. The
    listings are as the adapter boundary checked them (`scanner.marketplaces.validation`): every
    value fits its column, on SQLite as on PostgreSQL."""
    assert search.id is not None, "store_listings needs a saved search"
    outcome = StoreOutcome(found=len(listings))
    kept = _one_per_id_sorted(listing for listing in listings if passes_filters(listing, search))
    outcome.kept = len(kept)
    if kept:
        junk = {item.external_id: classify(item, search.query) for item in kept}
        intrinsic = {
            item.external_id: candidate(item, item.external_id, junk[item.external_id].listing) for item in kept
        }
        rows = [_listing_row(marketplace, item, intrinsic[item.external_id], now) for item in kept]
        upserted = _upsert_listings(session, rows)
        ids = {external_id: row.listing_id for external_id, row in upserted.items()}
        previous = {row.listing_id: row.previous_price for row in upserted.values() if row.previous_price is not None}
        judged = {  # the same listings, judged for this search's query
            ids[item.external_id]: replace(
                intrinsic[item.external_id], ref=ids[item.external_id], junk=junk[item.external_id].for_search
            )
            for item in kept
        }

        changed = [
            {"listing_id": ids[item.external_id], "observed_at": now, "price": item.price, "currency": item.currency}
            for item in kept
            if item.price is not None
            and item.currency is not None
            and previous.get(ids[item.external_id]) != item.price
        ]
        insert_rows(session, _OBSERVATIONS, changed)
        outcome.price_changes = sum(1 for row in changed if row["listing_id"] in previous)

        new_matches = _add_matches(session, search.id, {key: item.junk for key, item in judged.items()}, now)
        first_seen = {ids[item.external_id]: item for item in kept if upserted[item.external_id].first_seen_at == now}
        reposts = link_reposts(session, marketplace, first_seen, now=now, window_days=settings.repost_window_days)
        known = _matched_before(session, search.id, (repost.original_id for repost in reposts.values()))
        new_matches -= {new_id for new_id, repost in reposts.items() if repost.original_id in known}
        outcome.new = len(new_matches)

        observed = []
        for item in kept:
            listing_id = ids[item.external_id]
            previous_total = _previous_total(previous.get(listing_id), item)
            repost = reposts.get(listing_id)
            if previous_total is None and repost is not None:
                previous_total = repost.original_total
            observed.append(
                ObservedListing(
                    listing_id=listing_id,
                    marketplace=marketplace,
                    data=item,
                    candidate=judged[listing_id],
                    is_new_match=listing_id in new_matches,
                    previous_total=previous_total,
                    reposted_from=repost.original_id if repost else None,
                )
            )
        session.flush()
        outcome.deals = deals.find_deals(session, search, observed, baseline=baseline, now=now, settings=settings)
    outcome.ended = _mark_ended(session, search, marketplace, now, settings)
    return outcome


def _previous_total(previous_price: Decimal | None, item: ListingData) -> Decimal | None:
    if previous_price is None:
        return None
    return previous_price + (item.shipping or Decimal(0))
