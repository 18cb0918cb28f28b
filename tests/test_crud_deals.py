"""Dismissing deals hides them without deleting anything."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from models import crud
from models.schemas import SearchInput
from models.tables import Deal, DealReason, Listing


def test_dismissing_marks_only_the_chosen_deals(session: Session) -> None:
    search = crud.create_search(
        session, SearchInput.parse({"name": "s", "query": "q", "marketplaces": ["demo"]}, min_interval_minutes=1)
    )
    deals = []
    for number in range(3):
        listing = Listing(marketplace="demo", external_id=str(number), title="t", url="http://x/1", price=Decimal(5))
        session.add(listing)
        session.flush()
        deal = Deal(
            search_id=search.id,
            listing_id=listing.id,
            reason=DealReason.TARGET_PRICE,
            total_price=Decimal(5),
            currency="USD",
        )
        session.add(deal)
        deals.append(deal)
    session.commit()
    assert crud.dismiss_deals(session, [deals[0].id, deals[2].id]) == 2
    session.commit()
    session.expire_all()
    assert [deal.dismissed for deal in session.exec(select(Deal).order_by(Deal.id))] == [True, False, True]
