"""Storing a marketplace's results: bulk upsert, price history only on change, matches,
filters, ended listings — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from models import crud
from models.queries.history import listing_price_history
from models.schemas import SearchInput
from models.settings import Settings, load_settings
from models.tables import Deal, DealReason, Listing, ListingStatus, PriceObservation, Search, SearchMatch
from scanner.appraisal.condition import normalize_condition
from scanner.marketplaces.base import ListingData
from scanner.marketplaces.validation import MAX_AMOUNT, MAX_EXTERNAL_ID_LENGTH, MAX_URL_LENGTH, check_listing
from scanner.pipeline import passes_filters, store_listings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, listing_ended_after_hours=48)


def make_search(session: Session, **fields: object) -> Search:
    data = {"name": "Guitars", "query": "guitar", "marketplaces": ["demo"], **fields}
    search = crud.create_search(session, SearchInput.parse(data, min_interval_minutes=1), now=NOW)
    session.commit()
    return search


def item(external_id: str, price: str | None = "100.00", **fields: object) -> ListingData:
    values: dict[str, object] = {
        "external_id": external_id,
        "title": f"Guitar {external_id}",
        "url": f"http://127.0.0.1:8765/item/{external_id}",
        "price": Decimal(price) if price is not None else None,
        "currency": "USD",
    }
    values.update(fields)
    return ListingData(**values)  # type: ignore[arg-type]


def store(session: Session, search: Search, listings: list[ListingData], settings: Settings, at: datetime = NOW):
    outcome = store_listings(session, search, "demo", listings, now=at, settings=settings, baseline=False)
    session.commit()
    return outcome


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_first_store_writes_listings_prices_and_matches(session: Session, settings: Settings) -> None:
    search = make_search(session)
    outcome = store(session, search, [item("1"), item("2", "250.50"), item("3", None)], settings)
    assert (outcome.found, outcome.new, outcome.price_changes) == (3, 3, 0)
    assert count(session, Listing) == 3
    assert count(session, SearchMatch) == 3
    prices = session.exec(select(PriceObservation.price).order_by(PriceObservation.price)).all()
    assert prices == [Decimal("100.00"), Decimal("250.50")]  # no observation for a listing without price


def test_a_listing_of_unknown_currency_is_kept_without_a_price_history(session: Session, settings: Settings) -> None:
    search = make_search(session)
    store(session, search, [item("1", "150.00", currency=None)], settings)
    stored = session.exec(select(Listing)).one()
    assert (stored.price, stored.currency) == (Decimal("150.00"), None)
    assert count(session, PriceObservation) == 0  # an amount of unknown money charts nothing


def test_the_same_page_twice_changes_nothing_but_last_seen(session: Session, settings: Settings) -> None:
    search = make_search(session)
    page = [item("1"), item("2", "250.50")]
    store(session, search, page, settings)
    later = NOW + timedelta(minutes=15)
    outcome = store(session, search, page, settings, at=later)
    assert (outcome.new, outcome.price_changes) == (0, 0)
    assert count(session, PriceObservation) == 2
    assert count(session, SearchMatch) == 2
    session.expire_all()
    listing = session.exec(select(Listing).where(Listing.external_id == "1")).one()
    assert (listing.first_seen_at, listing.last_seen_at) == (NOW, later)


def test_a_second_store_adds_exactly_the_changed_prices(session: Session, settings: Settings) -> None:
    search = make_search(session)
    store(session, search, [item("1", "100.00"), item("2", "200.00"), item("3", "300.00")], settings)
    later = NOW + timedelta(minutes=15)
    outcome = store(session, search, [item("1", "90.00"), item("2", "200.00"), item("3", "310.00")], settings, later)
    assert outcome.price_changes == 2
    history = session.exec(
        select(Listing.external_id, PriceObservation.price)
        .join(Listing, Listing.id == PriceObservation.listing_id)
        .where(PriceObservation.observed_at == later)
        .order_by(Listing.external_id)
    ).all()
    assert history == [("1", Decimal("90.00")), ("3", Decimal("310.00"))]


def test_a_price_that_fails_to_load_is_not_a_change(session: Session, settings: Settings) -> None:
    search = make_search(session)
    store(session, search, [item("1", "100.00")], settings)
    store(session, search, [item("1", None)], settings, NOW + timedelta(minutes=15))
    back = store(session, search, [item("1", "100.00")], settings, NOW + timedelta(minutes=30))
    assert back.price_changes == 0
    assert count(session, PriceObservation) == 1


def test_listings_are_refreshed_in_place(session: Session, settings: Settings) -> None:
    search = make_search(session)
    store(session, search, [item("1", title="Old title")], settings)
    store(session, search, [item("1", title="New title", status="sold")], settings, NOW + timedelta(minutes=5))
    session.expire_all()
    listing = session.exec(select(Listing)).one()
    assert (listing.title, listing.status) == ("New title", ListingStatus.SOLD)


def test_duplicates_within_one_scan_are_stored_once(session: Session, settings: Settings) -> None:
    search = make_search(session)
    outcome = store(session, search, [item("1"), item("1"), item("2")], settings)
    assert outcome.new == 2
    assert count(session, Listing) == 2


def test_listings_not_seen_for_the_configured_time_are_ended(session: Session, settings: Settings) -> None:
    search = make_search(session)
    store(session, search, [item("1"), item("2")], settings)
    outcome = store(session, search, [item("2")], settings, NOW + timedelta(hours=49))
    assert outcome.ended == 1
    session.expire_all()
    statuses = dict(session.exec(select(Listing.external_id, Listing.status)).all())
    assert statuses == {"1": ListingStatus.ENDED, "2": ListingStatus.ACTIVE}


def test_a_listing_shared_by_two_searches_gets_one_history(session: Session, settings: Settings) -> None:
    first, second = make_search(session), make_search(session, name="Other")
    store(session, first, [item("1", "100.00")], settings)
    store(session, second, [item("1", "100.00")], settings, NOW + timedelta(minutes=1))
    store(session, first, [item("1", "80.00")], settings, NOW + timedelta(minutes=2))
    outcome = store(session, second, [item("1", "80.00")], settings, NOW + timedelta(minutes=3))
    assert outcome.price_changes == 0
    assert count(session, PriceObservation) == 2
    assert count(session, SearchMatch) == 2


def test_excluded_words_price_range_and_condition_filter(session: Session) -> None:
    search = Search(
        name="s",
        query="guitar",
        marketplaces=["demo"],
        excluded_words=["case"],
        min_price=Decimal("50"),
        max_price=Decimal("600"),
        condition="used",
    )
    assert passes_filters(item("1", "100", condition="Pre-owned"), search)
    assert not passes_filters(item("2", "100", title="Guitar CASE only"), search)
    assert not passes_filters(item("3", "40"), search)
    assert not passes_filters(item("4", "601"), search)
    assert not passes_filters(item("5", None), search)
    assert not passes_filters(item("6", "100", condition="Brand New"), search)
    assert passes_filters(item("7", "100", condition=None), search)


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("Brand New", "new"),
        ("Pre-Owned", "used"),
        ("Gebraucht", "used"),
        ("For parts or not working", "for_parts"),
        ("Certified - Refurbished", "refurbished"),
        ("新品、未使用", "new"),
        ("Open box", "new"),
        ("Used – Like New", "used"),
        ("New, unused", "new"),
        ("pour pièces", "for_parts"),
        ("ジャンク品", "for_parts"),
        ("No noticeable scratches or stains", "used"),
        ("Sehr gut - Refurbished", "refurbished"),
        ("unknown words", None),
        (None, None),
    ],
)
def test_condition_wording_is_normalised(text: str | None, condition: str | None) -> None:
    assert normalize_condition(text) == condition


def test_filtered_out_listings_are_not_stored(session: Session, settings: Settings) -> None:
    search = make_search(session, excluded_words=["broken"])
    outcome = store(session, search, [item("1"), replace(item("2"), title="broken guitar")], settings)
    assert (outcome.found, outcome.kept) == (2, 1)
    assert count(session, Listing) == 1


def test_a_repost_continues_the_listing_it_reposts(session: Session, settings: Settings) -> None:
    search = make_search(session, price_drop_pct=Decimal("5"), alert_new_listings=True)
    title = "Fender Player Stratocaster electric guitar"
    store(session, search, [item("1", "700.00", title=title, seller="jane")], settings)
    store(session, search, [], settings, at=NOW + timedelta(hours=1))
    repost = item("2", "630.00", title=f"{title} – reposted", seller="jane")

    outcome = store(session, search, [repost], settings, at=NOW + timedelta(hours=30))

    first, second = session.exec(select(Listing).order_by(Listing.id)).all()
    assert second.reposted_from_id == first.id
    assert outcome.new == 0  # not new: the search knew the item
    assert [(deal.reason, deal.total_price) for deal in outcome.deals] == [("price_drop", Decimal("630.00"))]
    history = listing_price_history(session, second.id)
    assert history is not None and [price for _, price in history.points] == [Decimal("700.00"), Decimal("630.00")]


@pytest.mark.parametrize(
    "other",
    [
        {"seller": "someone_else"},
        {"title": "Fender Player Telecaster electric guitar"},
        {"price": Decimal("300.00")},
    ],
)
def test_another_seller_item_or_price_is_no_repost(session: Session, settings: Settings, other: dict) -> None:
    search = make_search(session)
    original = item("1", "700.00", title="Fender Player Stratocaster electric guitar", seller="jane")
    store(session, search, [original], settings)

    store(session, search, [replace(original, external_id="2", **other)], settings, at=NOW + timedelta(hours=30))

    assert [listing.reposted_from_id for listing in session.exec(select(Listing).order_by(Listing.id))] == [None, None]


def test_listings_older_than_the_repost_window_are_not_continued(session: Session) -> None:
    settings = load_settings(repost_window_days=1)
    search = make_search(session)
    original = item("1", "700.00", title="Fender Player Stratocaster electric guitar", seller="jane")
    store(session, search, [original], settings)

    store(session, search, [replace(original, external_id="2")], settings, at=NOW + timedelta(days=2))

    assert session.exec(select(Listing.reposted_from_id).where(Listing.external_id == "2")).one() is None


def test_a_listing_at_every_limit_of_the_adapter_boundary_is_stored_alike_on_both_backends(
    session: Session, settings: Settings
) -> None:
    """What the boundary lets through, every column holds, on SQLite as on PostgreSQL (SQLite once
    kept what PostgreSQL refused: a price of 10^14, a 129-character id)."""
    search = make_search(session)
    edge = check_listing(
        item(
            "x" * MAX_EXTERNAL_ID_LENGTH,
            str(MAX_AMOUNT),
            shipping=MAX_AMOUNT,
            title="Guitar " * 100,  # cut to the column
            url="https://shop.example/" + "u" * (MAX_URL_LENGTH - 21),
            currency="JPY",
            condition="c" * 64,
            location="l" * 200,
            seller="s" * 200,
        )
    )
    assert isinstance(edge, ListingData) and edge.price is not None and edge.shipping is not None
    store(session, search, [edge], settings)
    stored = session.exec(select(Listing)).one()
    assert stored.id is not None
    columns = ("external_id", "title", "url", "price", "shipping", "currency", "condition", "location", "seller")
    assert [getattr(stored, name) for name in columns] == [getattr(edge, name) for name in columns]
    session.add(
        Deal(
            search_id=search.id,
            listing_id=stored.id,
            reason=DealReason.TARGET_PRICE,
            total_price=edge.price + edge.shipping,
            currency="JPY",
        )
    )
    session.commit()
    assert session.exec(select(Deal.total_price)).one() == 2 * MAX_AMOUNT
