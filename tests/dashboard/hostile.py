"""Hostile text wherever the dashboard shows text from outside: a listing's title and location, a
search's name, query and location, a scan error quoting a page's title and a pause reason. Each
holds a Markdown image, raw HTML with a script, a `javascript:` link and a colour directive, all
pointing at `outside` (a server the operator's browser must never be sent to). Used by the
AppTest checks and the browser test of issue 20's defect 6.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from models import crud, operations
from models.schemas import SearchInput
from models.tables import Deal, DealReason, Listing, PriceObservation, SearchMatch, TaskLog, TaskStatus


def hostile(outside: str, what: str) -> str:
    """`what` followed by an image, an `<img>` with a script, a `javascript:` link and a directive."""
    return (
        f"{what} ![x]({outside}/{what}-md.png) <img src={outside}/{what}-html.png onerror=alert(1)> "
        f"[link](javascript:alert(2)) :violet[{what}]"
    )


@dataclass(frozen=True)
class Seeded:
    search_id: int
    listing_id: int
    title: str


def seed_hostile(session: Session, outside: str, now: datetime) -> Seeded:
    """One search, one listing that is a deal with a price, a failed scan and a paused marketplace
    (demo), every text of them hostile; committed."""
    search = crud.create_search(
        session,
        SearchInput.parse(
            {
                "name": hostile(outside, "name")[:200],
                "query": hostile(outside, "query"),
                "marketplaces": ["demo"],
                "target_price": "500",
                "location": hostile(outside, "location")[:200],
            },
            min_interval_minutes=5,
        ),
        now=now - timedelta(hours=2),
    )
    title = hostile(outside, "title")
    listing = Listing(
        marketplace="demo",
        external_id="hostile-1",
        title=title,
        url="https://demo.example/item/hostile-1",
        price=Decimal("450.00"),
        currency="USD",
        location=hostile(outside, "place")[:200],
        first_seen_at=now - timedelta(hours=1),
        last_seen_at=now - timedelta(minutes=5),
    )
    session.add(listing)
    session.flush()
    assert search.id is not None and listing.id is not None
    session.add(SearchMatch(search_id=search.id, listing_id=listing.id, first_matched_at=now - timedelta(hours=1)))
    session.add(
        PriceObservation(
            listing_id=listing.id, observed_at=now - timedelta(hours=1), price=Decimal("450.00"), currency="USD"
        )
    )
    session.add(
        Deal(
            search_id=search.id,
            listing_id=listing.id,
            reason=DealReason.TARGET_PRICE,
            total_price=Decimal("450.00"),
            currency="USD",
            detected_at=now - timedelta(minutes=30),
        )
    )
    session.add(
        TaskLog(
            task_name="scan_search",
            task_id="hostile-scan",
            search_id=search.id,
            marketplace="demo",
            status=TaskStatus.FAILED,
            error_class="markup_changed",
            error=f"page “{hostile(outside, 'error')}” has no listings",
            created_at=now - timedelta(minutes=10),
        )
    )
    operations.pause_marketplace(session, "demo", hostile(outside, "reason"), now)
    session.commit()
    return Seeded(search_id=search.id, listing_id=listing.id, title=title)
