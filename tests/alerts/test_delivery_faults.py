"""The outbox under faults: a bad row fails alone, an outage never fails an alert by itself and
what waited goes out once the server answers, no attempt before its backoff, and a sender killed
after the server took a digest costs at most that one digest again, with the same Message-ID."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.settings import load_settings
from models.tables import Notification
from scanner.alerts import deliver_pending
from scanner.alerts.outbox import MAX_RETRY_DELAY, lease
from scanner.deals import find_deals
from scanner.queue import make_huey
from scanner.tasks import register_tasks

ROOT = Path(__file__).resolve().parents[2]
PILL = "eve@example.com\r\nBcc: victim@example.com"
#: For the tests where the backend is beside the point (what the SMTP server answered).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def outbox(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def by_recipient(engine: Engine) -> dict[str, list[tuple[str, int]]]:
    rows: dict[str, list[tuple[str, int]]] = {}
    for notification in outbox(engine):
        rows.setdefault(notification.recipient, []).append((notification.status, notification.attempts))
    return rows


@pytest.fixture
def deals_for(shop, session, settings, now):
    """`deals_for(*recipients)`: one scan of a new search finding two deals, alerted to each."""

    def deals_for(*recipients: str, at: datetime = now) -> None:
        search = shop.search(target_price=Decimal("600"), alert_recipients=list(recipients))
        observed = [shop.observe(listing) for listing in shop.history(search, "480", "510")]
        assert len(find_deals(session, search, observed, baseline=False, now=at, settings=settings)) == 2
        session.commit()

    return deals_for


def test_an_address_with_a_line_break_fails_alone_and_the_others_are_sent(
    engine, deals_for, smtp_server, make_settings, now
) -> None:
    deals_for("ana@example.com", PILL, "bo@example.com")

    report = deliver_pending(engine, make_settings(smtp_server.port), now=now)

    assert (report.sent, report.emails, report.failed, report.pending) == (4, 2, 2, 0)
    assert sorted(message["To"] for message in smtp_server.messages) == ["ana@example.com", "bo@example.com"]
    pill = [n for n in outbox(engine) if n.recipient == PILL]
    assert [(n.status, n.attempts) for n in pill] == [("failed", 0)] * 2
    assert pill[0].last_error.startswith("invalid recipient address: ")
    assert "Carriage return and line feed" in pill[0].last_error
    assert "victim" not in str(smtp_server.mailbox.envelopes)
    assert deliver_pending(engine, make_settings(smtp_server.port), now=now + timedelta(hours=1)).sent == 0


@sqlite_only
def test_a_permanent_refusal_fails_that_recipient_with_the_reason_and_the_run_goes_on(
    engine, deals_for, smtp_server, make_settings, now
) -> None:
    smtp_server.mailbox.refused["gone@example.com"] = "550 5.1.1 No such user here"
    smtp_server.mailbox.refused["busy@example.com"] = "450 4.2.1 Mailbox busy, try later"
    deals_for("gone@example.com", "busy@example.com", "ana@example.com")

    report = deliver_pending(engine, make_settings(smtp_server.port), now=now)

    assert (report.sent, report.emails, report.deferred, report.failed) == (2, 1, 2, 2)
    assert by_recipient(engine) == {
        "gone@example.com": [("failed", 1)] * 2,
        "busy@example.com": [("pending", 1)] * 2,  # 4xx: tried again after the backoff
        "ana@example.com": [("sent", 1)] * 2,
    }
    gone = [n for n in outbox(engine) if n.recipient == "gone@example.com"]
    assert gone[0].last_error.startswith("SMTPRecipientsRefused: gone@example.com: 550 5.1.1 No such user here")
    assert (gone[0].next_attempt_at, gone[0].message_id) == (None, None)
    busy = [n for n in outbox(engine) if n.recipient == "busy@example.com"]
    assert busy[0].next_attempt_at == now + timedelta(seconds=30)


def test_an_outage_longer_than_many_runs_fails_nothing_and_they_go_out_once_when_it_answers(
    engine, deals_for, start_smtp, make_settings, now, tmp_path
) -> None:
    deals_for("ana@example.com", "bo@example.com")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))  # bound, not listening: every connection is refused
        port = held.getsockname()[1]
        down = make_settings(port, notify_max_attempts=2)  # the 24-hour window applies
        # the worker's own task, every minute for an hour
        for minute in range(61):
            report = deliver_pending(engine, down, now=now + timedelta(minutes=minute))
            assert (report.sent, report.failed, report.pending) == (0, 0, 4)

    # backing off 30 s, 1, 2, 4 min, then every 5: 15 attempts in the hour (not 61), none exhausting
    assert {(n.status, n.attempts) for n in outbox(engine)} == {("pending", 15)}
    assert outbox(engine)[0].last_error.startswith("ConnectionRefusedError")

    server = start_smtp(port)  # the mail server is back on its port
    settings = make_settings(port)
    queue = make_huey(load_settings(data_dir=tmp_path), name="outbox-outage")
    tasks = register_tasks(queue, settings, engine)
    every_minute = [queue.read_periodic(now + timedelta(minutes=minute)) for minute in range(60)]
    assert all(tasks.send_notifications.task_class in {type(task) for task in due} for due in every_minute)
    sent = tasks.send_notifications.call_local()  # the periodic tick, at the real time (after every backoff)

    assert sent["sent"] == 4 and sent["emails"] == 2
    assert tasks.send_notifications.call_local()["sent"] == 0
    assert sorted(message["To"] for message in server.messages) == ["ana@example.com", "bo@example.com"]
    assert {n.status for n in outbox(engine)} == {"sent"}


def test_no_attempt_before_its_backoff_and_a_new_alert_brings_the_waiting_ones_along(
    engine, deals_for, closed_port, smtp_server, make_settings, now
) -> None:
    deals_for("ana@example.com")
    down = make_settings(closed_port)

    def run(seconds: float) -> tuple[int, int]:
        report = deliver_pending(engine, down, now=now + timedelta(seconds=seconds))
        return report.deferred, outbox(engine)[0].attempts

    # the delay doubles from NOTIFY_RETRY_DELAY_SECONDS (30) up to MAX_RETRY_DELAY (5 minutes)
    assert [run(0), run(29), run(30), run(89), run(90), run(209), run(210), run(449), run(450)] == [
        (2, 1), (0, 1), (2, 2), (0, 2), (2, 3), (0, 3), (2, 4), (0, 4), (2, 5)
    ]  # fmt: skip
    assert outbox(engine)[0].next_attempt_at == now + timedelta(seconds=450) + MAX_RETRY_DELAY

    deals_for("ana@example.com", at=now + timedelta(seconds=460))  # a new deal, due at once
    report = deliver_pending(engine, make_settings(smtp_server.port), now=now + timedelta(seconds=460))

    assert (report.sent, report.emails) == (4, 1)  # one digest: the waiting alerts rode along
    assert [n.attempts for n in outbox(engine)] == [5, 5, 1, 1]  # without spending an attempt


@sqlite_only
def test_a_digest_cut_off_mid_message_is_retried_with_the_same_message_id(
    engine, deals_for, smtp_server, make_settings, now
) -> None:
    deals_for("ana@example.com")
    smtp_server.mailbox.delay_seconds = 3  # the server takes the data, then answers too late

    report = deliver_pending(engine, make_settings(smtp_server.port, smtp_timeout_seconds=1), now=now)

    assert (report.sent, report.deferred) == (0, 2)
    [kept] = {n.message_id for n in outbox(engine)}
    assert kept is not None  # the server may have taken it: the retry must be recognisable
    smtp_server.mailbox.delay_seconds = 0
    assert deliver_pending(engine, make_settings(smtp_server.port), now=now + timedelta(seconds=30)).sent == 2
    assert [message["Message-ID"] for message in smtp_server.messages][-1] == kept


_SENDER = """
import json, sys
from datetime import datetime
from models.db import create_db_engine
from models.settings import load_settings
from scanner.alerts import deliver_pending

url, port, now = json.loads(sys.stdin.readline())
settings = load_settings(
    smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", smtp_from="alerts@scout.example", smtp_timeout_seconds=5
)
deliver_pending(create_db_engine(url), settings, now=datetime.fromisoformat(now))
raise SystemExit("the sender was not killed")
"""


@pytest.fixture
def sender() -> Iterator[subprocess.Popen[str]]:
    """A delivery run in a process of its own, started first (its imports take seconds) and sent
    on its way with one line on stdin: `[database_url, smtp_port, now]`."""
    process = subprocess.Popen([sys.executable, "-c", _SENDER], cwd=ROOT, stdin=subprocess.PIPE, text=True)
    yield process
    process.kill()
    process.wait(10)


def test_a_sender_killed_after_the_server_took_a_digest_repeats_that_digest_only(
    sender, database_url, engine, deals_for, smtp_server, make_settings, now
) -> None:
    deals_for("cara@example.com", "ana@example.com", "bo@example.com")  # digests go out in this order
    accepted, killed = threading.Event(), threading.Event()

    def hold_anas_digest(message) -> None:
        if message["To"] == "ana@example.com" and not killed.is_set():
            accepted.set()
            assert killed.wait(30), "the test never killed the sender"

    smtp_server.mailbox.on_accept = hold_anas_digest
    assert sender.stdin is not None
    sender.stdin.write(json.dumps([database_url, smtp_server.port, now.isoformat()]) + "\n")
    sender.stdin.flush()
    try:
        assert accepted.wait(30), "the sender never sent ana's digest"
        sender.kill()  # SIGKILL: the server has ana's digest, the sender never heard it say yes
        assert sender.wait(10) == -signal.SIGKILL
    finally:
        killed.set()

    assert by_recipient(engine) == {
        "cara@example.com": [("sent", 1)] * 2,  # committed on its own, before ana's was sent
        "ana@example.com": [("pending", 1)] * 2,  # leased, with the Message-ID of what is in flight
        "bo@example.com": [("pending", 0)] * 2,
    }
    settings = make_settings(smtp_server.port)
    [(in_flight, leased_until)] = {
        (n.message_id, n.claimed_until) for n in outbox(engine) if n.recipient == "ana@example.com"
    }
    assert leased_until == now + lease(settings)

    while_leased = deliver_pending(engine, settings, now=now + timedelta(minutes=1))
    after_lease = deliver_pending(engine, settings, now=leased_until)

    assert (while_leased.sent, while_leased.emails, after_lease.sent, after_lease.emails) == (2, 1, 2, 1)
    assert [message["To"] for message in smtp_server.messages] == [
        "cara@example.com",
        "ana@example.com",
        "bo@example.com",
        "ana@example.com",
    ]
    ids = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert ids.most_common(1) == [(in_flight, 2)] and len(ids) == 3
    assert {n.status for n in outbox(engine)} == {"sent"}
