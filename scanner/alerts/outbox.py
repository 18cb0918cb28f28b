"""The alert outbox: notifications are written in the scan's transaction and sent later as digests.

Writing the alert with the deal means a crash can never lose one; sending from the outbox means
a slow or broken mail server never slows a scan. Each recipient gets one digest per delivery
run, whatever searches found its deals, and a listing several of them matched is in it once.

A digest goes out in three steps, each committed on its own:

1. *Claim*: the recipient's pending rows get a lease (`claimed_until`) and the digest's
   `message_id`; the rows that were due spend an attempt. On PostgreSQL the recipient's oldest
   due row is locked first with `FOR UPDATE SKIP LOCKED`, so a recipient another worker is
   claiming is skipped whole (locking row by row could split one digest between two workers);
   on SQLite the claiming UPDATE waits for the single writer and then sees the lease. Either
   way two workers never send the same notification.
2. *Send*, outside any transaction, so a slow server holds no lock.
3. *Outcome*, right after the server answered: sent; or failed with the reason (an invalid
   address, a permanent 5xx refusal, or an outage that outlasted `NOTIFY_MAX_ATTEMPTS`
   attempts *and* `NOTIFY_GIVE_UP_AFTER_HOURS`); or pending again, due after an exponential
   backoff from `NOTIFY_RETRY_DELAY_SECONDS`, capped so alerts go out within minutes of the
   server answering again.

A sender that dies between 2 and 3 leaves its rows leased with their `message_id`: once the lease
has expired, the next run re-sends exactly that digest with the same Message-ID (so the
recipient's mail program can tell it is the same message), and nothing else twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select, update

from models.bulk import insert_rows
from models.settings import Settings
from models.tables import Notification, NotificationStatus, Search, table_of
from models.types import utcnow
from scanner.alerts.render import build_digest, message_id, render_alert
from scanner.alerts.smtp import DeliveryError, Mailer
from scanner.findings import Finding

log = logging.getLogger(__name__)

#: The longest wait between two attempts: once the server answers again, what waited goes out
#: within this long (and the minute of the sending tick), however long the outage was.
MAX_RETRY_DELAY = timedelta(minutes=5)
#: The search form's own validator (`models.schemas.SearchInput.alert_recipients`).
_EMAIL = TypeAdapter(EmailStr)


@dataclass
class DeliveryReport:
    """What one delivery run did, counted in notifications (one digest e-mail carries several)."""

    smtp_configured: bool = True
    sent: int = 0  # accepted by the SMTP server in this run
    emails: int = 0  # digests accepted
    deferred: int = 0  # failed in this run, still pending: will be retried
    failed: int = 0  # failed in this run for good (refused, invalid address, or the outage outlasted the window)
    pending: int = 0  # left pending after this run
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.smtp_configured:
            return f"SMTP not configured (set SMTP_HOST): {_count(self.pending)} stay pending"
        line = f"sent {_count(self.sent)} in {self.emails} e-mail{'s' if self.emails != 1 else ''}"
        if self.deferred:
            line += f"; {self.deferred} will be retried"
        if self.failed:
            line += f"; {self.failed} failed for good"
        line += f"; {self.pending} pending"
        if self.errors:
            line += f" (last error: {self.errors[-1]})"
        return line


def _count(number: int) -> str:
    return f"{number} notification{'s' if number != 1 else ''}"


def queue_alerts(session: Session, search: Search, new_deals: Sequence[tuple[int, Finding]], *, now: datetime) -> int:
    """Queue one notification per new deal and recipient, in the caller's transaction.

    The deals of one listing found together share one card, so the digest shows it once with every
    reason. Returns how many notifications were queued (a clash with an existing one is skipped).
    """
    recipients = list(dict.fromkeys(address.strip() for address in search.alert_recipients if address.strip()))
    if not recipients or not new_deals:
        return 0
    by_listing: dict[int, list[tuple[int, Finding]]] = defaultdict(list)
    for deal_id, finding in new_deals:
        by_listing[finding.observed.listing_id].append((deal_id, finding))
    rows = []
    for listing_id, deals in by_listing.items():
        alert = render_alert(search, [finding for _, finding in deals])
        for deal_id, finding in deals:
            for recipient in recipients:
                rows.append(
                    {
                        "search_id": search.id,
                        "listing_id": listing_id,
                        "deal_id": deal_id,
                        "reason": finding.reason,
                        "level": finding.level,
                        "recipient": recipient,
                        "subject": alert.subject,
                        "body_text": alert.text,
                        "body_html": alert.html,
                        "status": NotificationStatus.PENDING,
                        "attempts": 0,
                        "created_at": now,
                    }
                )
    inserted = insert_rows(
        session,
        table_of(Notification),
        rows,
        conflict=("search_id", "listing_id", "reason", "level", "recipient"),
        returning=(col(Notification.id),),
    )
    return len(inserted)


def count_pending(engine: Engine) -> int:
    with Session(engine) as session:
        pending = col(Notification.status) == NotificationStatus.PENDING
        return session.exec(select(func.count()).select_from(Notification).where(pending)).one()


def deliver_pending(
    engine: Engine, settings: Settings, *, now: datetime | None = None, due_only: bool = True
) -> DeliveryReport:
    """Send one digest to each recipient that has an alert due (`due_only=False`, for an operator
    who asks: every pending alert, backoff or not). Without SMTP settings nothing is touched.

    A bad address or a refused message fails only its own rows; the run goes on with the others.
    """
    if not settings.smtp_configured:
        return DeliveryReport(smtp_configured=False, pending=count_pending(engine))
    report = DeliveryReport()
    with Mailer(settings) as mailer:
        for recipient in _recipients(engine, now or utcnow(), due_only):
            at = now or utcnow()
            claim = _claim(engine, settings, recipient, at, due_only, report)
            if claim is not None:
                _send(engine, settings, mailer, claim, at, report)
    report.pending = count_pending(engine)
    return report


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """How long a row waits after its `attempts`-th failed attempt: doubling, up to the cap."""
    first = timedelta(seconds=settings.notify_retry_delay_seconds)
    return min(first * (1 << min(attempts - 1, 20)), max(first, MAX_RETRY_DELAY))


def lease(settings: Settings) -> timedelta:
    """How long a claimed digest is the claiming sender's: longer than one send can take
    (connecting, TLS, login and each command wait at most SMTP_TIMEOUT_SECONDS), as a lease that
    ran out under a live sender would have the digest sent twice."""
    return timedelta(seconds=max(120.0, 10 * settings.smtp_timeout_seconds))


def invalid_recipient(recipient: str) -> str | None:
    """Why `recipient` cannot be mailed, by the search form's rules; None when it can.

    Rows written before those rules (or around them) must not reach a mail header: an address
    with a line break in it would make every delivery run raise."""
    try:
        _EMAIL.validate_python(recipient)
    except ValidationError as error:
        return f"invalid recipient address: {error.errors()[0]['msg']}"
    return None


def _claimable(now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """Pending and not leased by a live sender."""
    claimed_until = col(Notification.claimed_until)
    return (
        col(Notification.status) == NotificationStatus.PENDING,
        sa.or_(claimed_until.is_(None), claimed_until <= now),
    )


def _due(now: datetime, due_only: bool) -> sa.ColumnElement[bool]:
    next_attempt_at = col(Notification.next_attempt_at)
    return sa.or_(next_attempt_at.is_(None), next_attempt_at <= now) if due_only else sa.true()


def _recipients(engine: Engine, now: datetime, due_only: bool) -> Sequence[str]:
    """Recipients with an alert due, the longest waiting first."""
    with Session(engine) as session:
        return session.exec(
            select(col(Notification.recipient))
            .where(*_claimable(now), _due(now, due_only))
            .group_by(col(Notification.recipient))
            .order_by(func.min(col(Notification.id)))
        ).all()


@dataclass(frozen=True)
class _Claim:
    """A digest claimed for sending: its rows as claimed, the ones that spent an attempt, and the
    lease and Message-ID that say they are still this sender's."""

    notifications: list[Notification]
    due: frozenset[int]
    message: EmailMessage
    message_id: str
    claimed_until: datetime

    @property
    def ids(self) -> list[int]:
        return [notification.id for notification in self.notifications if notification.id is not None]


def _claim(
    engine: Engine, settings: Settings, recipient: str, now: datetime, due_only: bool, report: DeliveryReport
) -> _Claim | None:
    """Lease the recipient's next digest, committed before anything is sent.

    The digest is the rows of an earlier digest whose sender died or lost the connection
    mid-message (they kept their `message_id`) when one of them is due, so it goes out again
    exactly as before; otherwise every pending row of the recipient, the ones not yet due riding
    along without spending an attempt.
    """
    mine = (*_claimable(now), col(Notification.recipient) == recipient)
    due = _due(now, due_only)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        oldest = select(func.min(col(Notification.id))).where(*mine, due).scalar_subquery()
        token = select(col(Notification.id)).where(col(Notification.id) == oldest, *mine, due)
        if session.exec(token.with_for_update(skip_locked=True)).first() is None:
            return None
        problem = invalid_recipient(recipient)
        if problem is not None:
            _fail_invalid(session, mine, problem, report)
            log.warning("alerts to %r failed: %s", recipient, problem)
            return None
        resend = session.exec(
            select(col(Notification.message_id))
            .where(*mine, due, col(Notification.message_id).is_not(None))
            .order_by(col(Notification.id))
            .limit(1)
        ).first()
        in_digest = col(Notification.message_id) == resend if resend else col(Notification.message_id).is_(None)
        attempts, first_attempt_at = col(Notification.attempts), col(Notification.first_attempt_at)
        claimed_until = now + lease(settings)
        claimed = session.exec(
            update(Notification)
            .where(*mine, in_digest)
            .values(
                claimed_until=claimed_until,
                attempts=attempts + sa.case((due, 1), else_=0),
                # requeued rows (attempts reset to 0) start a new window
                first_attempt_at=sa.case(
                    (sa.and_(due, sa.or_(attempts == 0, first_attempt_at.is_(None))), now), else_=first_attempt_at
                ),
            )
            .returning(col(Notification.id))
            .execution_options(synchronize_session=False)
        )
        ids = sorted(row[0] for row in claimed)
        if not ids:
            return None
        digest_id = resend or message_id(ids, settings.smtp_from)
        if resend is None:
            session.exec(
                update(Notification)
                .where(col(Notification.id).in_(ids))
                .values(message_id=digest_id)
                .execution_options(synchronize_session=False)
            )
        notifications = list(
            session.exec(select(Notification).where(col(Notification.id).in_(ids)).order_by(col(Notification.id)))
        )
        searches = {notification.search_id for notification in notifications}
        names = dict(session.exec(select(col(Search.id), col(Search.name)).where(col(Search.id).in_(searches))).all())
    message = build_digest(
        notifications,
        search_names={search_id: names.get(search_id, f"search {search_id}") for search_id in searches},
        recipient=recipient,
        sender=settings.smtp_from,
        now=now,
    )
    message.replace_header("Message-ID", digest_id)  # the stored one, even if a row of it was deleted since
    due_ids = frozenset(
        notification.id
        for notification in notifications
        if notification.id is not None
        and (not due_only or notification.next_attempt_at is None or notification.next_attempt_at <= now)
    )
    return _Claim(notifications, due_ids, message, digest_id, claimed_until)


def _fail_invalid(
    session: Session, mine: tuple[sa.ColumnElement[bool], ...], problem: str, report: DeliveryReport
) -> None:
    failed = session.exec(
        update(Notification)
        .where(*mine)
        .values(
            status=NotificationStatus.FAILED,
            last_error=problem,
            next_attempt_at=None,
            claimed_until=None,
            message_id=None,
        )
        .returning(col(Notification.id))
        .execution_options(synchronize_session=False)
    )
    report.failed += len(failed.all())
    report.errors.append(problem)


def _send(
    engine: Engine, settings: Settings, mailer: Mailer, claim: _Claim, now: datetime, report: DeliveryReport
) -> None:
    try:
        mailer.send(claim.message)
    except DeliveryError as error:
        _record_failure(engine, settings, claim, error, now, report)
        return
    with Session(engine) as session, session.begin():
        session.exec(
            update(Notification)
            .where(
                col(Notification.id).in_(claim.ids),
                col(Notification.status) == NotificationStatus.PENDING,
                col(Notification.message_id) == claim.message_id,
            )
            .values(
                status=NotificationStatus.SENT, sent_at=now, last_error=None, next_attempt_at=None, claimed_until=None
            )
            .execution_options(synchronize_session=False)
        )
    report.sent += len(claim.ids)
    report.emails += 1
    searches = {notification.search_id for notification in claim.notifications}
    log.info(
        "sent alert digest with %d deal(s) of %d search(es) to %s",
        len(claim.ids),
        len(searches),
        claim.notifications[0].recipient,
    )


def _record_failure(
    engine: Engine, settings: Settings, claim: _Claim, error: DeliveryError, now: datetime, report: DeliveryReport
) -> None:
    """Fail the rows for good, or put them back with the reason, each due row after its backoff.

    A digest the server may have taken (the connection broke mid-message) keeps its Message-ID,
    so its retry is recognisably the same message."""
    reason = str(error)
    report.errors.append(reason)
    window = timedelta(hours=settings.notify_give_up_after_hours)
    keep_id = claim.message_id if error.uncertain else None
    with Session(engine) as session, session.begin():
        for notification in claim.notifications:
            values: dict[str, object] = {"last_error": reason, "claimed_until": None, "message_id": keep_id}
            spent = notification.id in claim.due
            outlasted = (
                spent
                and notification.attempts >= settings.notify_max_attempts
                and notification.first_attempt_at is not None
                and now - notification.first_attempt_at >= window
            )
            if error.permanent or outlasted:
                values.update(status=NotificationStatus.FAILED, next_attempt_at=None, message_id=None)
                report.failed += 1
            else:
                if spent:
                    values["next_attempt_at"] = now + retry_delay(settings, notification.attempts)
                report.deferred += 1
            session.exec(
                update(Notification)
                .where(
                    col(Notification.id) == notification.id,
                    col(Notification.message_id) == claim.message_id,
                    col(Notification.claimed_until) == claim.claimed_until,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    log.warning("alert digest to %s not sent: %s", claim.notifications[0].recipient, reason)
