"""`make run`'s example searches on the demo market, scanned every 15 minutes for six hours:
what they call a deal is a real item well under its family's price, never junk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from demo_market import DemoMarket, catalogue
from models import crud
from models.schemas import SearchInput
from models.settings import Settings
from models.tables import Deal, Listing
from scanner.commands.up import EXAMPLE_SEARCHES
from scanner.scan import run_scan
from tests.clock import Clock

STEPS = 24


def test_the_example_searches_deals_are_real_items_well_under_their_market(
    engine: Engine, scan_settings: Settings, market: DemoMarket, clock: Clock
) -> None:
    with Session(engine) as session:
        ids = [
            crud.create_search(session, SearchInput.parse(dict(example), min_interval_minutes=1)).id
            for example in EXAMPLE_SEARCHES
        ]
        session.commit()
    truth: dict[str, catalogue.DemoListing] = {}
    for step in range(STEPS):
        clock.now += timedelta(minutes=15)
        for search_id in ids:
            run_scan(engine, scan_settings, search_id, task_id=f"t{step}-{search_id}")
        truth.update({shown.listing_id: shown for shown in catalogue.listings(clock.now, market.seed)})

    with Session(engine) as session:
        found = session.exec(
            select(Deal, Listing.external_id)
            .join(Listing, col(Listing.id) == col(Deal.listing_id))
            .where(col(Deal.suspicious).is_(False))
        ).all()
    assert len(found) >= 5
    assert [external_id for _, external_id in found if truth[external_id].junk is not None] == []
    best = sorted((deal for deal, _ in found if deal.score is not None), key=lambda deal: deal.score, reverse=True)[:5]
    by_listing = {deal.listing_id: external_id for deal, external_id in found}
    for deal in best:  # truly a deal: at least 15 % under its family's market price
        assert deal.total_price <= truth[by_listing[deal.listing_id]].market_price * Decimal("0.85")
