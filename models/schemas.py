"""What a person may type in for a search, validated once for the dashboard form and the CLI.

The minimum scan interval comes from settings through the validation context, so the rule
lives here and nowhere else. Every input is bounded — the interval, how many recipients and
excluded words, every length — and each bound broken is one plain sentence under its field
(or one line from the CLI), never a database error later.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.tables import Condition, Marketplace

NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Percent = Annotated[Decimal, Field(gt=0, lt=100, max_digits=5, decimal_places=2)]

MAX_INTERVAL_MINUTES = 30 * 24 * 60  # 30 days: a scan schedule must stay a date the database can hold
MAX_RECIPIENTS = 20
MAX_EXCLUDED_WORDS = 50
MAX_WORD_LENGTH = 100
MAX_NAME_LENGTH = 200
MAX_QUERY_LENGTH = 500
MAX_LOCATION_LENGTH = 200


def _no_control_characters(value: str) -> str:
    """Text is stored, shown and e-mailed: no line breaks, NUL or other control characters, and
    no lone surrogates (PostgreSQL and the e-mail would refuse them later)."""
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("must not contain line breaks, tabs or other control characters")
    return value


class SearchInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, use_enum_values=True)

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH)
    excluded_words: list[str] = Field(default_factory=list)
    marketplaces: list[Marketplace] = Field(min_length=1)
    min_price: NonNegativeMoney | None = None
    max_price: NonNegativeMoney | None = None
    target_price: NonNegativeMoney | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    condition: Condition | None = None
    category: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    location: str | None = Field(default=None, max_length=MAX_LOCATION_LENGTH)
    radius_miles: int | None = Field(default=None, ge=1, le=500)
    interval_minutes: int = Field(default=15, ge=1)
    alert_recipients: list[EmailStr] = Field(default_factory=list)
    market_discount_pct: Percent | None = None
    price_drop_pct: Percent | None = None
    alert_new_listings: bool = False
    include_for_parts: bool = False  # broken units can be deals: for people who repair

    @field_validator("name", "query", "location")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return _no_control_characters(value) if value is not None else None

    @field_validator("excluded_words", "alert_recipients", mode="before")
    @classmethod
    def _not_too_many(cls, values: Any, info: ValidationInfo) -> Any:
        """Counted before each item is validated: a pasted list of thousands costs nothing."""
        limit, what = (
            (MAX_RECIPIENTS, "recipients")
            if info.field_name == "alert_recipients"
            else (MAX_EXCLUDED_WORDS, "excluded words")
        )
        if isinstance(values, list | tuple):
            given = len({str(value).strip().lower() for value in values if str(value).strip()})
            if given > limit:
                raise ValueError(f"at most {limit} {what} ({given} given)")
        return values

    @field_validator("excluded_words")
    @classmethod
    def _clean_words(cls, words: list[str]) -> list[str]:
        cleaned = sorted({word.strip().lower() for word in words if word.strip()})
        for word in cleaned:
            if len(word) > MAX_WORD_LENGTH:
                raise ValueError(f"each excluded word must be at most {MAX_WORD_LENGTH} characters")
            _no_control_characters(word)
        return cleaned

    @field_validator("alert_recipients")
    @classmethod
    def _unique_recipients(cls, values: list[str]) -> list[str]:
        """One alert per address, however often it was typed."""
        first: dict[str, str] = {}
        for value in values:
            first.setdefault(value.lower(), value)
        return list(first.values())

    @field_validator("marketplaces")
    @classmethod
    def _unique_marketplaces(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @field_validator("location", "category", mode="before")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("interval_minutes", mode="before")
    @classmethod
    def _interval_not_huge(cls, value: Any) -> Any:
        """`1e20` says "at most 30 days", not pydantic's "exceeded maximum size"."""
        if isinstance(value, float | Decimal | str) and not isinstance(value, bool):
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation:
                return value
            if number.is_finite() and number > MAX_INTERVAL_MINUTES:
                raise ValueError(f"must be at most {MAX_INTERVAL_MINUTES} minutes (30 days)")
        return value

    @field_validator("interval_minutes")
    @classmethod
    def _interval_within_bounds(cls, value: int, info: ValidationInfo) -> int:
        minimum = (info.context or {}).get("min_interval_minutes", 1)
        if value < minimum:
            raise ValueError(f"must be at least {minimum} minutes")
        if value > MAX_INTERVAL_MINUTES:
            raise ValueError(f"must be at most {MAX_INTERVAL_MINUTES} minutes (30 days)")
        return value

    @model_validator(mode="after")
    def _price_range_ordered(self) -> SearchInput:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price: must not be above the maximum price")
        return self

    @classmethod
    def parse(cls, data: dict[str, object], min_interval_minutes: int) -> SearchInput:
        return cls.model_validate(data, context={"min_interval_minutes": min_interval_minutes})


def field_errors(error: ValidationError) -> dict[str, str]:
    """Field name → what is wrong with it, for showing each message next to its input."""
    messages: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        field = str(item["loc"][0]) if item["loc"] else ""
        if not field and ": " in message:
            field, message = message.split(": ", 1)
        messages.setdefault(field or "form", message)
    return messages
