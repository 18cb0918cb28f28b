"""A clock that stands still until the test moves it (the demo market's notion of now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A moment whose laptop pages show every kind of price, sold and pending badges and
# non-ASCII titles (the saved demo fixtures were generated at it too).
MOMENT = datetime(2025, 6, 2, 11, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = MOMENT) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
