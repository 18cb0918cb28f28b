"""Daily call counting for metered marketplace APIs (eBay's Browse API allows so many calls a day).

Every worker thread and process shares one count per marketplace and UTC day in `ApiUsage`,
incremented with a single atomic upsert, so parallel scans cannot lose an increment. Adapters
never touch the database: they get a `DatabaseQuota` as their `Quota`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from models.db import dialect_insert
from models.tables import ApiUsage
from models.types import utcnow
from scanner.marketplaces.base import QuotaStatus


def usage_day(now: datetime | None = None) -> date:
    """The UTC day a call made at `now` counts towards."""
    return (now or utcnow()).astimezone(UTC).date()


def record_calls(engine: Engine, marketplace: str, calls: int = 1, now: datetime | None = None) -> int:
    """Add `calls` to today's count and return the new total."""
    statement = (
        dialect_insert(engine, ApiUsage)
        .values(marketplace=marketplace, day=usage_day(now), calls=calls)
        .on_conflict_do_update(
            index_elements=[col(ApiUsage.marketplace), col(ApiUsage.day)], set_={"calls": col(ApiUsage.calls) + calls}
        )
        .returning(col(ApiUsage.calls))
    )
    with engine.begin() as connection:
        return connection.execute(statement).scalar_one()


def calls_today(engine: Engine, marketplace: str, now: datetime | None = None) -> int:
    """Calls counted so far on `now`'s UTC day."""
    statement = select(col(ApiUsage.calls)).where(
        col(ApiUsage.marketplace) == marketplace, col(ApiUsage.day) == usage_day(now)
    )
    with engine.connect() as connection:
        return connection.execute(statement).scalar_one_or_none() or 0


def quota_status(engine: Engine, marketplace: str, limit: int, now: datetime | None = None) -> QuotaStatus:
    return QuotaStatus(marketplace, usage_day(now), calls_today(engine, marketplace, now), limit)


@dataclass(frozen=True)
class DatabaseQuota:
    """The `Quota` a scan hands its adapter: one marketplace's count in `ApiUsage`."""

    engine: Engine
    marketplace: str
    clock: Callable[[], datetime] = utcnow

    def status(self, limit: int) -> QuotaStatus:
        return quota_status(self.engine, self.marketplace, limit, self.clock())

    def record_call(self) -> None:
        record_calls(self.engine, self.marketplace, 1, self.clock())
