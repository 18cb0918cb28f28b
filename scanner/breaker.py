"""Per-marketplace circuit breaker and operator pause, shared by all workers through
`MarketplaceState`.

After `BREAKER_FAILURE_THRESHOLD` consecutive failures a marketplace is skipped until the
cool-down ends; then exactly one worker wins the trial (a compare-and-set on the row) and its
result closes or re-opens the breaker. A trial whose worker died is retried after another
cool-down. The operator's pause and resume are core services (`models.operations`): the
dashboard and the CLI call them without loading the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, and_, col, or_, update

from models.operations import marketplace_state
from models.settings import Settings
from models.tables import BreakerState, ErrorClass, MarketplaceState

# Failures that say nothing about the marketplace's health do not trip the breaker.
_NOT_THE_MARKETPLACE = frozenset(
    {ErrorClass.CONFIGURATION, ErrorClass.NOT_ALLOWED, ErrorClass.QUOTA_EXHAUSTED, ErrorClass.INTERRUPTED}
)


@dataclass(frozen=True)
class Gate:
    allowed: bool
    reason: str | None = None
    trial: bool = False


def check(session: Session, marketplace: str, now: datetime, settings: Settings) -> Gate:
    """May this marketplace be scanned now? Claims the half-open trial when it is due."""
    state = marketplace_state(session, marketplace)
    if state.paused:
        return Gate(False, f"paused: {state.pause_reason or 'no reason given'}")
    if state.breaker_state is BreakerState.CLOSED:
        return Gate(True)
    cooldown = timedelta(seconds=settings.breaker_cooldown_seconds)
    trial_due = or_(
        and_(col(MarketplaceState.breaker_state) == BreakerState.OPEN, col(MarketplaceState.open_until) <= now),
        and_(
            col(MarketplaceState.breaker_state) == BreakerState.HALF_OPEN,
            col(MarketplaceState.updated_at) <= now - cooldown,
        ),
    )
    claimed = session.exec(
        update(MarketplaceState)
        .where(col(MarketplaceState.marketplace) == marketplace, trial_due)
        .values(breaker_state=BreakerState.HALF_OPEN, updated_at=now)
    ).rowcount
    if claimed:
        return Gate(True, "circuit half-open: trial request", trial=True)
    if state.breaker_state is BreakerState.HALF_OPEN:
        return Gate(False, "circuit half-open: another worker is running the trial")
    until = state.open_until.isoformat(timespec="seconds") if state.open_until else "later"
    return Gate(False, f"circuit open until {until} after {state.consecutive_failures} failures")


def record_success(session: Session, marketplace: str, now: datetime) -> None:
    """One UPDATE: `check` created the row before the scan (a reload here cost every scan two
    more round trips inside its storing transaction)."""
    session.exec(
        update(MarketplaceState)
        .where(col(MarketplaceState.marketplace) == marketplace)
        .values(
            breaker_state=BreakerState.CLOSED,
            consecutive_failures=0,
            open_until=None,
            last_success_at=now,
            updated_at=now,
        )
    )


def record_failure(
    session: Session, marketplace: str, error_class: ErrorClass, now: datetime, settings: Settings
) -> None:
    state = marketplace_state(session, marketplace)
    if error_class in _NOT_THE_MARKETPLACE:
        return
    failures = state.consecutive_failures + 1
    opens = state.breaker_state is BreakerState.HALF_OPEN or failures >= settings.breaker_failure_threshold
    values: dict[str, object] = {
        "consecutive_failures": col(MarketplaceState.consecutive_failures) + 1,
        "last_failure_at": now,
        "last_error_class": error_class.value,
        "updated_at": now,
    }
    if opens:
        values |= {
            "breaker_state": BreakerState.OPEN,
            "open_until": now + timedelta(seconds=settings.breaker_cooldown_seconds),
        }
    session.exec(update(MarketplaceState).where(col(MarketplaceState.marketplace) == marketplace).values(**values))
