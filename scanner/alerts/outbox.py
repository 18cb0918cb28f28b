"""The alert outbox: notifications are written in the scan's transaction and sent later as digests.

Writing the alert with the deal means a crash can never lose one; sending from the outbox means
a slow or broken mail server never slows a scan. Each recipient gets one digest per delivery
run, whatever searches found its deals, and a listing several of them matched is in it once.
A row is claimed inside the transaction that sends it — `FOR UPDATE SKIP LOCKED`
on PostgreSQL, the single-writer lock that the claiming UPDATE takes on SQLite — so two workers
never send the same notification, and a worker that dies mid-send leaves it pending, not lost.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select, update

from models.bulk import insert_rows
from models.settings import Settings
from models.tables import Notification, NotificationStatus, Search, table_of
from models.types import utcnow
from scanner.alerts.render import build_digest, render_alert
from scanner.alerts.smtp import DeliveryError, Mailer
from scanner.findings import Finding

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What one delivery run did, counted in notifications (one digest e-mail carries several)."""

    smtp_configured: bool = True
    sent: int = 0  # accepted by the SMTP server in this run
    emails: int = 0  # digests accepted
    deferred: int = 0  # failed in this run, still pending: will be retried
    failed: int = 0  # failed in this run for the last allowed time
    pending: int = 0  # left pending after this run
    errors: list[str] = field(default_factory=list)

    @property
    def retry_needed(self) -> bool:
        return self.deferred > 0

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


def deliver_pending(engine: Engine, settings: Settings, *, now: datetime | None = None) -> DeliveryReport:
    """Send every pending notification as one digest per recipient.

    A notification is marked sent only after the server accepted its digest; a failure counts an
    attempt and stores the reason, and the last allowed attempt marks it failed. Without SMTP
    settings nothing is touched.
    """
    if not settings.smtp_configured:
        return DeliveryReport(smtp_configured=False, pending=count_pending(engine))
    report = DeliveryReport()
    with Session(engine) as session:
        recipients = session.exec(
            select(col(Notification.recipient))
            .where(col(Notification.status) == NotificationStatus.PENDING)
            .group_by(col(Notification.recipient))
            .order_by(func.min(col(Notification.id)))
        ).all()
    with Mailer(settings) as mailer:
        for recipient in recipients:
            _deliver_digest(engine, settings, mailer, recipient, now or utcnow(), report)
    report.pending = count_pending(engine)
    return report


def _claim(session: Session, recipient: str) -> list[int]:
    """Take all of the recipient's pending rows for this transaction and count the attempt.

    The oldest pending row is the token: on PostgreSQL it is locked with SKIP LOCKED, so a
    recipient another worker is sending to is skipped whole (locking row by row could split one
    digest between two workers). On SQLite the claiming UPDATE waits for the one writer, after
    which rows already sent are no longer pending.
    """
    group = (
        col(Notification.status) == NotificationStatus.PENDING,
        col(Notification.recipient) == recipient,
    )
    oldest = select(func.min(col(Notification.id))).where(*group).scalar_subquery()
    token = select(col(Notification.id)).where(col(Notification.id) == oldest, *group).with_for_update(skip_locked=True)
    if session.exec(token).first() is None:
        return []
    claimed = session.exec(
        update(Notification)
        .where(*group)
        .values(attempts=col(Notification.attempts) + 1)
        .returning(col(Notification.id))
        .execution_options(synchronize_session=False)
    )
    return sorted(row[0] for row in claimed)


def _deliver_digest(
    engine: Engine,
    settings: Settings,
    mailer: Mailer,
    recipient: str,
    now: datetime,
    report: DeliveryReport,
) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        ids = _claim(session, recipient)
        if not ids:
            return
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
        try:
            mailer.send(message)
        except DeliveryError as error:
            reason = str(error)
            report.errors.append(reason)
            for notification in notifications:
                notification.last_error = reason
                if notification.attempts >= settings.notify_max_attempts:
                    notification.status = NotificationStatus.FAILED
                    report.failed += 1
                else:
                    report.deferred += 1
            log.warning("alert digest to %s not sent: %s", recipient, reason)
            return
        for notification in notifications:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.last_error = None
        report.sent += len(notifications)
        report.emails += 1
        log.info(
            "sent alert digest with %d deal(s) of %d search(es) to %s", len(notifications), len(searches), recipient
        )
