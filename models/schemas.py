"""What a person may type in for a search, validated once for the dashboard form and the CLI.

The minimum scan interval comes from settings through the validation context, so the rule
lives here and nowhere else.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

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


class SearchInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, use_enum_values=True)

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=500)
    excluded_words: list[str] = Field(default_factory=list)
    marketplaces: list[Marketplace] = Field(min_length=1)
    min_price: NonNegativeMoney | None = None
    max_price: NonNegativeMoney | None = None
    target_price: NonNegativeMoney | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    condition: Condition | None = None
    category: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    location: str | None = Field(default=None, max_length=200)
    radius_miles: int | None = Field(default=None, ge=1, le=500)
    interval_minutes: int = Field(default=15, ge=1)
    alert_recipients: list[EmailStr] = Field(default_factory=list)
    market_discount_pct: Percent | None = None
    price_drop_pct: Percent | None = None
    alert_new_listings: bool = False
    include_for_parts: bool = False  # broken units can be deals: for people who repair

    @field_validator("excluded_words")
    @classmethod
    def _clean_words(cls, words: list[str]) -> list[str]:
        return sorted({word.strip().lower() for word in words if word.strip()})

    @field_validator("marketplaces")
    @classmethod
    def _unique_marketplaces(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @field_validator("location", "category", mode="before")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("interval_minutes")
    @classmethod
    def _interval_at_least_minimum(cls, value: int, info: ValidationInfo) -> int:
        minimum = (info.context or {}).get("min_interval_minutes", 1)
        if value < minimum:
            raise ValueError(f"must be at least {minimum} minutes")
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
