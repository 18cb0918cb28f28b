"""`python -m scanner notify`: send pending alerts now, one clear line, exit 0 only when nothing failed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlmodel import select

from models.tables import Notification
from scanner.deals import find_deals
from tests.cli import Cli, Result

Notify = Callable[..., Result]


@pytest.fixture
def notify(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Notify:
    """Run the real command against the test database and a local SMTP server on `port`."""
    scanner = Cli(monkeypatch, capsys, env={"DATABASE_URL": database_url, "SMTP_FROM": "alerts@scout.example"})

    def notify(*args: str, port: int | None, **env: str) -> Result:
        smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TLS": "none"} if port else {"SMTP_HOST": ""}
        return scanner("notify", *args, env={**smtp, **env})

    return notify


@pytest.fixture
def pending_alerts(shop, session, settings, now) -> int:
    """Three deals of one scan, queued for one recipient and committed."""
    search = shop.search(target_price=Decimal("600"))
    observed = [shop.observe(listing) for listing in shop.history(search, "480", "510", "595")]
    deals = find_deals(session, search, observed, baseline=False, now=now, settings=settings)
    session.commit()
    return len(deals)


def test_notify_sends_pending_alerts_and_says_so(notify, pending_alerts, smtp_server) -> None:
    result = notify(port=smtp_server.port)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "sent 3 notifications in 1 e-mail; 0 pending\n"
    assert len(smtp_server.messages) == 1


def test_notify_with_smtp_down_exits_1_and_keeps_them_pending_then_sends_them_at_once(
    notify, pending_alerts, closed_port, smtp_server, session
) -> None:
    result = notify(port=closed_port)

    assert result.returncode == 1
    assert result.stdout.startswith("sent 0 notifications in 0 e-mails; 3 will be retried; 3 pending (last error: ")
    assert "ConnectionRefusedError" in result.stdout
    assert {(n.status, n.attempts) for n in session.exec(select(Notification))} == {("pending", 1)}

    # the operator asks: sent now, not after the 30 s the worker would wait
    assert notify(port=smtp_server.port).stdout == "sent 3 notifications in 1 e-mail; 0 pending\n"


def test_notify_retry_failed_requeues_and_sends(notify, pending_alerts, closed_port, smtp_server) -> None:
    gave_up = notify(port=closed_port, NOTIFY_MAX_ATTEMPTS="1", NOTIFY_GIVE_UP_AFTER_HOURS="0")
    assert gave_up.returncode == 1
    assert "3 failed for good" in gave_up.stdout

    result = notify("--retry-failed", port=smtp_server.port)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "failed notifications requeued: 3",
        "sent 3 notifications in 1 e-mail; 0 pending",
    ]
    assert len(smtp_server.messages) == 1


def test_notify_without_smtp_settings_is_one_line_and_exit_2(notify, pending_alerts, session) -> None:
    result = notify("--retry-failed", port=None)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: SMTP not configured (set SMTP_HOST): 3 notifications stay pending\n"
    assert {(n.status, n.attempts) for n in session.exec(select(Notification))} == {("pending", 0)}
