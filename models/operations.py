"""The few changes operators make that the dashboard and the CLI share: pausing and resuming a
marketplace, and giving failed alerts another round. They are plain database writes, so they
live in the core and need nothing of the worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, update

from models.db import dialect_insert
from models.tables import BreakerState, MarketplaceState, Notification, NotificationStatus


def marketplace_state(session: Session, marketplace: str) -> MarketplaceState:
    """The marketplace's shared state row, created on first use, read fresh."""
    session.exec(dialect_insert(session, MarketplaceState).values(marketplace=marketplace).on_conflict_do_nothing())
    state = session.get(MarketplaceState, marketplace, populate_existing=True)
    assert state is not None
    return state


#: The longest pause reason the dashboard and the CLI take (the column holds 500).
MAX_PAUSE_REASON = 200


def pause_marketplace(session: Session, marketplace: str, reason: str, now: datetime) -> None:
    """Stop scanning a marketplace until an operator resumes it; the reason is shown everywhere."""
    marketplace_state(session, marketplace)
    session.exec(
        update(MarketplaceState)
        .where(col(MarketplaceState.marketplace) == marketplace)
        .values(paused=True, pause_reason=reason, updated_at=now)
    )


def resume_marketplace(session: Session, marketplace: str, now: datetime) -> None:
    """Unpause and close the breaker: the operator says the marketplace is fine again."""
    marketplace_state(session, marketplace)
    session.exec(
        update(MarketplaceState)
        .where(col(MarketplaceState.marketplace) == marketplace)
        .values(
            paused=False,
            pause_reason=None,
            breaker_state=BreakerState.CLOSED,
            consecutive_failures=0,
            open_until=None,
            updated_at=now,
        )
    )


def requeue_failed_alerts(engine: Engine) -> int:
    """Give failed notifications a fresh set of attempts (after fixing the mail settings)."""
    with Session(engine) as session, session.begin():
        result = session.exec(
            update(Notification)
            .where(col(Notification.status) == NotificationStatus.FAILED)
            .values(status=NotificationStatus.PENDING, attempts=0, last_error=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
