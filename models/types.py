"""Column types that behave the same on SQLite and PostgreSQL.

SQLite keeps NUMERIC as a binary float and drops time zones; these types hide both
differences so the rest of the code sees exact `Decimal`s and UTC-aware datetimes everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 4
_QUANTUM = Decimal(1).scaleb(-SCALE)
_CENTS = Decimal("0.01")
_FACTOR = 10**SCALE


def utcnow() -> datetime:
    return datetime.now(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal with 4 places: NUMERIC(18, 4) on PostgreSQL, a scaled integer on SQLite.

    The scaled integer keeps `1299.99` exact and still sorts and compares correctly in SQL,
    so filters like `price <= 600` work on both backends.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        exact = exact.quantize(_QUANTUM)
        if dialect.name == "sqlite":
            return int(exact.scaleb(SCALE))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        exact = Decimal(int(value)) / _FACTOR if dialect.name == "sqlite" else Decimal(value)
        return _display_scale(exact)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


def _display_scale(value: Decimal) -> Decimal:
    """Two places when nothing finer is there (`1299.99`, `5.00`), otherwise as many as needed."""
    cents = value.quantize(_CENTS)
    return cents if cents == value else value.normalize()


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned timezone-aware in UTC.

    Naive datetimes are refused on the way in: a silent local-time guess is how schedules drift.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value (UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
