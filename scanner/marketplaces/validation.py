"""Every listing an adapter returns, checked one by one before a scan stores it.

Adapters read pages written by strangers, and what they make of a page is whatever the page
said: a price of -500, of 10^20 or of NaN, a currency "USDT", a title holding a NUL, an id of a
thousand characters. One model (`_StorableListing`, pydantic, strict) states what a listing must
be to be stored, the same on SQLite and PostgreSQL: the database columns' limits
(`models.tables.Listing`, and NUMERIC(18, 4) for money, `models.types.ExactDecimal`), restated
here because adapters know nothing of the database — a test holds the two equal. A listing that
breaks a rule is refused alone (`Refusal`: the field and why), and the rest of its page is stored.

What is refused and what is mended:

- Money (price, shipping, struck-out price) must be finite, not negative and at most
  `MAX_AMOUNT`, which leaves room for a price plus its shipping in a deal's total. A positive
  amount below one cent is refused too: stored at the column's four places it would read as
  "$0.00", a free item and a deal. Finer amounts are rounded to those four places (what the
  database stores anyway), so that the scan compares what it stores.
- The currency is an ISO 4217 code in use (CLDR's list, as the adapters read codes) or None: not
  said by the page.
- The id and the URL are refused when empty or longer than their columns: cut, they would name
  another item or page. The title must not be empty; it and the other free texts are cut to
  their columns (a cut title still names the item), and an image URL too long to store is left
  out (the listing is kept without its picture).
- No text may hold a NUL (PostgreSQL refuses it) or a lone surrogate (not UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from scanner.marketplaces.base import ListingData
from scanner.marketplaces.prices import iso_currency

# The columns of `models.tables.Listing` (tests/marketplaces/test_validation.py holds them equal).
MAX_EXTERNAL_ID_LENGTH = 128
MAX_TITLE_LENGTH = 500
MAX_URL_LENGTH = 2048
MAX_CONDITION_LENGTH = 64
MAX_LOCATION_LENGTH = 200
MAX_SELLER_LENGTH = 200
#: Money columns: NUMERIC(18, 4) on PostgreSQL, below 10^14; SQLite stores the same range scaled.
AMOUNT_PRECISION = 18
AMOUNT_SCALE = 4
#: A tenth of the column's range, so that a price and its shipping still fit once added up.
MAX_AMOUNT = Decimal(10) ** (AMOUNT_PRECISION - AMOUNT_SCALE - 1) - Decimal(1).scaleb(-AMOUNT_SCALE)
_QUANTUM = Decimal(1).scaleb(-AMOUNT_SCALE)
_CENT = Decimal("0.01")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: Free texts, cut to their columns.
_CUT_TO = {
    "title": MAX_TITLE_LENGTH,
    "location": MAX_LOCATION_LENGTH,
    "condition": MAX_CONDITION_LENGTH,
    "seller": MAX_SELLER_LENGTH,
}


def _storable_text(text: str) -> str:
    if _UNSTORABLE.search(text):
        raise ValueError("holds a NUL character or a lone surrogate")
    return text


def _iso_4217(code: str) -> str:
    if iso_currency(code) != code:
        raise ValueError(f"{code[:20]!r} is not an ISO 4217 currency code")
    return code


def _storable_amount(amount: Decimal) -> Decimal:
    if 0 < amount < _CENT:
        raise ValueError("a positive amount below one cent would be stored as a free item")
    rounded = amount.quantize(_QUANTUM)
    return abs(amount if rounded == amount else rounded)  # abs: -0 is 0


_Text = Annotated[str, AfterValidator(_storable_text)]
_Money = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False), AfterValidator(_storable_amount)]


class _StorableListing(BaseModel):
    """The fields of `ListingData` that are stored, as the database can hold them (`extra` is not
    stored, so not checked)."""

    model_config = ConfigDict(strict=True, frozen=True)

    external_id: Annotated[str, Field(min_length=1, max_length=MAX_EXTERNAL_ID_LENGTH), AfterValidator(_storable_text)]
    title: Annotated[str, Field(min_length=1), AfterValidator(_storable_text)]
    url: Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH), AfterValidator(_storable_text)]
    price: _Money | None
    currency: Annotated[str, AfterValidator(_iso_4217)] | None
    image_url: _Text | None
    location: _Text | None
    condition: _Text | None
    shipping: _Money | None
    seller: _Text | None
    original_price: _Money | None
    status: Literal["active", "pending", "sold"]
    ends_at: AwareDatetime | None

    @field_validator(*_CUT_TO)
    @classmethod
    def _cut_to_column(cls, text: str | None, info: ValidationInfo) -> str | None:
        return text[: _CUT_TO[info.field_name]] if text and info.field_name else text

    @field_validator("image_url")
    @classmethod
    def _storable_image(cls, url: str | None) -> str | None:
        return url if url is None or len(url) <= MAX_URL_LENGTH else None


_FIELDS = tuple(_StorableListing.model_fields)


@dataclass(frozen=True)
class Refusal:
    """A listing refused, the field that could not be stored and why."""

    external_id: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.external_id[:40]!r}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class CheckedListings:
    """A page's listings: those that can be stored, as they will be, and the ones refused."""

    valid: list[ListingData]
    refused: list[Refusal]


def check_listing(listing: ListingData) -> ListingData | Refusal:
    """The listing as it can be stored (rounded, cut), or why it cannot be."""
    try:
        storable = _StorableListing.model_validate({name: getattr(listing, name) for name in _FIELDS})
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        field = str(first["loc"][0]) if first["loc"] else "listing"
        return Refusal(str(listing.external_id), field, first["msg"].removeprefix("Value error, "))
    return replace(listing, **dict(storable))


def check_listings(listings: Iterable[ListingData]) -> CheckedListings:
    """Each listing checked alone: one bad card never costs the others."""
    valid: list[ListingData] = []
    refused: list[Refusal] = []
    for listing in listings:
        checked = check_listing(listing)
        if isinstance(checked, Refusal):
            refused.append(checked)
        else:
            valid.append(checked)
    return CheckedListings(valid, refused)
