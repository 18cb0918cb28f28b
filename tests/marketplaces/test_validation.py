"""The adapter boundary's check of each listing (`scanner.marketplaces.validation`): its limits are
the database columns', a listing that breaks one is refused with the field and why, and what can
be mended (rounding, cutting free text) is mended."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Numeric
from sqlalchemy.dialects import postgresql, sqlite

from models.tables import Deal, Listing, table_of
from models.types import SCALE, ExactDecimal
from scanner.marketplaces import validation
from scanner.marketplaces.base import ListingData
from scanner.marketplaces.validation import MAX_AMOUNT, Refusal, check_listing, check_listings

LISTING = ListingData(
    external_id="123",
    title="Fender Stratocaster",
    url="https://shop.example/item/123",
    price=Decimal("1299.99"),
    currency="USD",
    shipping=Decimal("25.00"),
    original_price=Decimal("1499.00"),
)


@pytest.mark.parametrize(
    ("limit", "column"),
    [
        ("MAX_EXTERNAL_ID_LENGTH", "external_id"),
        ("MAX_TITLE_LENGTH", "title"),
        ("MAX_URL_LENGTH", "url"),
        ("MAX_URL_LENGTH", "image_url"),
        ("MAX_CONDITION_LENGTH", "condition"),
        ("MAX_LOCATION_LENGTH", "location"),
        ("MAX_SELLER_LENGTH", "seller"),
    ],
)
def test_the_text_limits_are_the_listing_columns(limit: str, column: str) -> None:
    assert getattr(validation, limit) == table_of(Listing).c[column].type.length


def test_the_amount_limits_fit_the_money_columns_on_both_backends() -> None:
    on_postgresql = ExactDecimal().load_dialect_impl(postgresql.dialect())
    assert isinstance(on_postgresql, Numeric)
    assert (on_postgresql.precision, on_postgresql.scale) == (validation.AMOUNT_PRECISION, validation.AMOUNT_SCALE)
    assert validation.AMOUNT_SCALE == SCALE
    assert isinstance(ExactDecimal().load_dialect_impl(sqlite.dialect()), BigInteger)
    largest_total = 2 * MAX_AMOUNT  # a price and its shipping, as a deal's total stores them
    assert largest_total < Decimal(10) ** (validation.AMOUNT_PRECISION - validation.AMOUNT_SCALE)
    assert largest_total.scaleb(SCALE) < 2**63  # SQLite's scaled integer
    assert isinstance(table_of(Deal).c.total_price.type, ExactDecimal)


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"price": Decimal("-500")}, "price", "greater than or equal to 0"),
        ({"price": Decimal("99999999999999999999")}, "price", "less than or equal to 9999999999999.9999"),
        ({"price": Decimal("1e14")}, "price", "less than or equal"),
        ({"price": Decimal("NaN")}, "price", "finite"),
        ({"price": Decimal("-Infinity")}, "price", "finite"),
        ({"price": Decimal("0.00001")}, "price", "below one cent"),
        ({"shipping": Decimal("-1")}, "shipping", "greater than or equal to 0"),
        ({"original_price": Decimal("Infinity")}, "original_price", "finite"),
        ({"price": 12.5}, "price", "instance of Decimal"),
        ({"currency": "USDT"}, "currency", "'USDT' is not an ISO 4217 currency code"),
        ({"currency": "usd"}, "currency", "not an ISO 4217"),
        ({"currency": "XXX"}, "currency", "not an ISO 4217"),
        ({"external_id": "x" * 129}, "external_id", "at most 128 characters"),
        ({"external_id": ""}, "external_id", "at least 1 character"),
        ({"url": "https://shop.example/" + "a" * 2048}, "url", "at most 2048 characters"),
        ({"title": ""}, "title", "at least 1 character"),
        ({"title": "Fender\x00Stratocaster"}, "title", "NUL"),
        ({"title": "Fender \ud800"}, "title", "unicode"),  # pydantic's own refusal
        ({"seller": "\udfff"}, "seller", "lone surrogate"),
        ({"location": "Austin\x00"}, "location", "NUL"),
        ({"condition": {"id": 1000}}, "condition", "valid string"),
        ({"ends_at": datetime(2026, 12, 24, 18, 0)}, "ends_at", "timezone"),
    ],
)
def test_a_listing_no_column_could_hold_is_refused_with_the_field_and_why(
    fields: dict[str, object], field: str, reason: str
) -> None:
    refusal = check_listing(replace(LISTING, **fields))  # type: ignore[arg-type]
    assert isinstance(refusal, Refusal)
    assert refusal.field == field and reason in refusal.reason


@pytest.mark.parametrize(
    ("fields", "mended"),
    [
        ({}, {}),
        ({"price": Decimal("12.345678")}, {"price": Decimal("12.3457")}),  # the column's four places
        ({"price": Decimal("-0")}, {"price": Decimal("0")}),
        ({"price": Decimal("0"), "currency": None}, {}),  # free, and of unknown currency: kept
        ({"price": MAX_AMOUNT, "shipping": MAX_AMOUNT}, {}),
        ({"title": "Strat " * 200}, {"title": ("Strat " * 200)[:500]}),
        ({"location": "Austin " * 50, "seller": "s" * 300}, {"location": ("Austin " * 50)[:200], "seller": "s" * 200}),
        ({"image_url": "https://img.example/" + "a" * 2048}, {"image_url": None}),  # kept without its picture
    ],
)
def test_what_can_be_mended_is_mended(fields: dict[str, object], mended: dict[str, object]) -> None:
    checked = check_listing(replace(LISTING, **fields))  # type: ignore[arg-type]
    assert checked == replace(LISTING, **{**fields, **mended})  # type: ignore[arg-type]
    assert check_listing(checked) == checked  # type: ignore[arg-type]


def test_each_listing_is_checked_alone_and_the_page_keeps_its_order() -> None:
    page = [replace(LISTING, external_id=str(n), price=Decimal(-n if n % 3 == 0 else n)) for n in range(1, 10)]
    checked = check_listings(page)
    assert [listing.external_id for listing in checked.valid] == ["1", "2", "4", "5", "7", "8"]
    assert [(refusal.external_id, refusal.field) for refusal in checked.refused] == [
        ("3", "price"),
        ("6", "price"),
        ("9", "price"),
    ]
    assert str(checked.refused[0]) == "'3': price: Input should be greater than or equal to 0"
