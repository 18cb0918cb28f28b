"""A day of demo-market history written straight into the database, for the browser test.

A real scan records prices only from the moment it runs; to show what the Price history page
does with a long history, this replays the demo market's own catalogue (the same deterministic
listings, prices, pictures and links its server shows) at 20-minute steps over the last day, as
a search scanning it all along would have stored it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from demo_market import catalogue
from models import crud
from models.schemas import SearchInput
from models.tables import Deal, DealReason, Listing, ListingStatus, PriceObservation, SearchMatch

STEP = timedelta(minutes=20)
DEAL_DISCOUNT_PCT = Decimal(25)
TARGET = Decimal(150)


def seed_demo_history(session: Session, market_url: str, now: datetime, *, hours: int = 24) -> int:
    """Store a "Guitars" search with a day of guitar listings and their deals; returns its id."""
    start = now - timedelta(hours=hours)
    search = crud.create_search(
        session,
        SearchInput.parse(
            {
                "name": "Guitars",
                "query": "guitar",
                "excluded_words": ["parts"],
                "marketplaces": ["demo"],
                "target_price": str(TARGET),
                "market_discount_pct": str(DEAL_DISCOUNT_PCT),
                "alert_recipients": ["me@example.com"],
                "interval_minutes": 60,
            },
            min_interval_minutes=5,
        ),
        now=start,
    )
    stored: dict[str, Listing] = {}
    latest: dict[str, catalogue.DemoListing] = {}
    moment = start
    while moment <= now:
        for item in catalogue.search("guitar", moment):
            if item.price is None or "parts" in item.title.casefold():
                continue
            listing = stored.get(item.listing_id)
            if listing is None:
                listing = Listing(
                    marketplace="demo",
                    external_id=item.listing_id,
                    title=item.title,
                    url=f"{market_url}/item/{item.listing_id}",
                    image_url=f"{market_url}/img/{item.listing_id}.svg",
                    currency="USD",
                    location=item.location,
                    seller=item.seller,
                    condition=item.condition.value,
                    first_seen_at=moment,
                    last_seen_at=moment,
                )
                session.add(listing)
                session.flush()
                session.add(SearchMatch(search_id=search.id, listing_id=listing.id, first_matched_at=moment))
                stored[item.listing_id] = listing
            if listing.price != item.price:
                session.add(
                    PriceObservation(listing_id=listing.id, observed_at=moment, price=item.price, currency="USD")
                )
            listing.price, listing.shipping, listing.last_seen_at = item.price, item.shipping, moment
            listing.status = ListingStatus(item.status)
            latest[item.listing_id] = item
        moment += STEP
    for listing_id, listing in stored.items():
        if listing.last_seen_at < moment - STEP and listing.status is ListingStatus.ACTIVE:
            listing.status = ListingStatus.ENDED
        _deals(session, search.id or 0, listing, latest[listing_id])
    search.last_scanned_at = moment - STEP
    search.next_scan_at = now + timedelta(hours=1)
    session.add(search)
    session.commit()
    return search.id or 0


def _deals(session: Session, search_id: int, listing: Listing, item: catalogue.DemoListing) -> None:
    total = (listing.price or Decimal(0)) + (listing.shipping or Decimal(0))
    under = ((item.market_price - total) * 100 / item.market_price).quantize(Decimal("0.01"))
    reasons = [
        reason
        for reason, applies in (
            (DealReason.TARGET_PRICE, total <= TARGET),
            (DealReason.BELOW_MARKET, under >= DEAL_DISCOUNT_PCT),
        )
        if applies
    ]
    for reason in reasons:
        session.add(
            Deal(
                search_id=search_id,
                listing_id=listing.id,
                reason=reason,
                total_price=total,
                currency="USD",
                score=under,
                market_price=item.market_price,
                sample_size=20,
                detected_at=listing.first_seen_at,
            )
        )
