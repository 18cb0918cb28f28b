"""A marketplace's listing as evidence of a price: its junk kind, condition and whether its price
is a bid. Where a scan's listings and a saved page's become `Candidate`s."""

from __future__ import annotations

from collections.abc import Sequence

from models.tables import JunkKind
from scanner.appraisal.condition import condition_class
from scanner.appraisal.junk import classify
from scanner.appraisal.verdict import Appraisal, Candidate, Pool, Rules, appraise
from scanner.marketplaces.base import ListingData


def is_auction(listing: ListingData) -> bool:
    """An auction's price is its current bid: it says little about the item's value."""
    options = listing.extra.get("buying_options") or ()
    return listing.ends_at is not None or "bids" in listing.extra or "AUCTION" in options


def candidate(listing: ListingData, ref: int | str, junk: JunkKind | None) -> Candidate:
    return Candidate(
        ref=ref,
        title=listing.title,
        total=listing.total_cost(),
        currency=listing.currency,
        condition=condition_class(listing.condition, listing.title),
        junk=junk,
        auction=is_auction(listing),
    )


def appraise_page(
    listings: Sequence[ListingData], query: str | None, rules: Rules
) -> list[tuple[Candidate, Appraisal]]:
    """Each listing of a page judged with the page itself as the whole market, in page order."""
    candidates = [candidate(listing, listing.external_id, classify(listing, query).for_search) for listing in listings]
    pool = Pool(candidates)
    return [(item, appraise(item, pool, rules)) for item in candidates]
