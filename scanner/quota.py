"""Daily call counting for metered marketplace APIs (eBay's Browse API allows so many calls a day).

Every worker thread and process shares one count per marketplace and UTC day in `ApiUsage`,
incremented with a single atomic upsert, so parallel scans cannot lose an increment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from models.db import dialect_insert
from models.tables import ApiUsage
from models.types import utcnow

#: Above this share of the daily limit a scan fetches only its first page.
SLOWDOWN_FRACTION = 0.8


def usage_day(now: datetime | None = None) -> date:
    """The UTC day a call made at `now` counts towards."""
    return (now or utcnow()).astimezone(UTC).date()


def record_calls(engine: Engine, marketplace: str, calls: int = 1, now: datetime | None = None) -> int:
    """Add `calls` to today's count and return the new total."""
    statement = (
        dialect_insert(engine, ApiUsage)
        .values(marketplace=marketplace, day=usage_day(now), calls=calls)
        .on_conflict_do_update(
            index_elements=[ApiUsage.marketplace, ApiUsage.day], set_={"calls": ApiUsage.calls + calls}
        )
        .returning(ApiUsage.calls)
    )
    with engine.begin() as connection:
        return int(connection.execute(statement).scalar_one())


def calls_today(engine: Engine, marketplace: str, now: datetime | None = None) -> int:
    """Calls counted so far on `now`'s UTC day."""
    statement = select(ApiUsage.calls).where(ApiUsage.marketplace == marketplace, ApiUsage.day == usage_day(now))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one_or_none() or 0)


@dataclass(frozen=True)
class QuotaStatus:
    """Today's use of one marketplace's daily call limit, for the scanner and the dashboard."""

    marketplace: str
    day: date
    calls: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.calls, 0)

    @property
    def used_fraction(self) -> float:
        return self.calls / self.limit

    @property
    def exhausted(self) -> bool:
        return self.calls >= self.limit

    @property
    def slow(self) -> bool:
        """Close to the limit: scans should fetch as little as possible for the rest of the day."""
        return self.used_fraction >= SLOWDOWN_FRACTION

    def describe(self) -> str:
        return f"{self.marketplace}: {self.calls} of {self.limit} API calls used on {self.day.isoformat()} (UTC)"


def quota_status(engine: Engine, marketplace: str, limit: int, now: datetime | None = None) -> QuotaStatus:
    return QuotaStatus(marketplace, usage_day(now), calls_today(engine, marketplace, now), limit)
