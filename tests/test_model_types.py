"""Money stays exact and timestamps come back UTC-aware, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from models.tables import Listing, PriceObservation


def _listing(**fields: object) -> Listing:
    values: dict[str, object] = {
        "marketplace": "demo",
        "external_id": "1",
        "title": "Fender Stratocaster",
        "url": "http://127.0.0.1:8765/item/1",
        "price": Decimal("1299.99"),
    }
    values.update(fields)
    return Listing(**values)


@pytest.mark.parametrize("price", ["1299.99", "0.01", "5.00", "0.125", "99999999.99", "0"])
def test_money_round_trips_exactly(session: Session, price: str) -> None:
    session.add(_listing(price=Decimal(price), shipping=Decimal("5.89")))
    session.commit()
    session.expunge_all()
    stored = session.exec(select(Listing)).one()
    assert stored.price == Decimal(price)
    assert isinstance(stored.price, Decimal)
    assert stored.shipping == Decimal("5.89")


def test_money_reads_back_with_its_cents(session: Session) -> None:
    session.add(_listing())
    session.commit()
    session.expunge_all()
    assert str(session.exec(select(Listing.price)).one()) == "1299.99"


def test_money_compares_and_sorts_in_sql(session: Session) -> None:
    for external_id, price in [("a", "100.00"), ("b", "99.99"), ("c", "1000.50"), ("d", "600.00")]:
        session.add(_listing(external_id=external_id, price=Decimal(price)))
    session.commit()
    cheap = session.exec(select(Listing.external_id).where(Listing.price <= Decimal("600")).order_by(Listing.price))
    assert list(cheap) == ["b", "a", "d"]
    assert session.exec(select(Listing.price).order_by(Listing.price.desc())).first() == Decimal("1000.50")


def test_timestamps_come_back_utc_aware(session: Session) -> None:
    seen = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    session.add(_listing(first_seen_at=seen, last_seen_at=seen))
    session.commit()
    session.expunge_all()
    stored = session.exec(select(Listing)).one()
    assert stored.first_seen_at.tzinfo is UTC
    assert stored.first_seen_at == datetime(2026, 3, 29, 6, 30, tzinfo=UTC)


def test_time_comparisons_work_across_zones(session: Session) -> None:
    listing = _listing()
    session.add(listing)
    session.flush()
    noon = datetime(2026, 1, 1, 12, tzinfo=UTC)
    session.add(PriceObservation(listing_id=listing.id, observed_at=noon, price=Decimal("10"), currency="USD"))
    session.commit()
    later_in_tokyo = datetime(2026, 1, 1, 21, 30, tzinfo=timezone(timedelta(hours=9)))
    found = session.exec(select(PriceObservation).where(PriceObservation.observed_at < later_in_tokyo)).all()
    assert len(found) == 1


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(_listing(first_seen_at=datetime(2026, 1, 1, 12)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
