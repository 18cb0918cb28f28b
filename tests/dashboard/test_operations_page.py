"""The Operations page: service status, failure rates, failed tasks, breaker switches and the
alert outbox with "retry failed"."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.tables import DealReason, MarketplaceState, Notification, NotificationStatus, WorkerHeartbeat
from models.types import utcnow
from tests.dashboard.conftest import World, open_app, texts

PAGE = "views/operations.py"


def metrics(app: object) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}  # type: ignore[attr-defined]


def table_with(app: object, column: str) -> pd.DataFrame:
    """The one table on the page that has `column`."""
    [table] = [frame.value for frame in app.dataframe if column in frame.value.columns]  # type: ignore[attr-defined]
    return table


def test_status_row_says_what_is_up_and_that_smtp_is_not_configured(app_world: World) -> None:
    app = open_app(PAGE)
    shown = metrics(app)
    assert shown["Database"] == "reachable"
    assert shown["Queue (sqlite)"] == "0 pending"
    assert shown["Worker"] == "never seen"
    assert shown["Email (SMTP)"] == "not set"
    assert any("SMTP not configured" in text for text in texts(app, "markdown"))


def test_a_fresh_heartbeat_counts_as_a_live_worker(app_world: World, app_engine: Engine) -> None:
    with Session(app_engine) as session:
        session.add(WorkerHeartbeat(worker_id="box:42", hostname="box", pid=42, threads=4, seen_at=utcnow()))
        session.commit()
    app = open_app(PAGE)
    assert metrics(app)["Worker"] == "1 alive"
    assert table_with(app, "worker")["worker"].tolist() == ["box:42"]


def test_failure_rates_per_marketplace_over_the_last_hour_and_day(app_world: World) -> None:
    app = open_app(PAGE)
    table = table_with(app, "scans_hour").set_index("marketplace")
    assert table.loc["Demo market", ["scans_hour", "failure_hour", "scans_day"]].tolist() == [1, 0.0, 2]
    assert table.loc["eBay", ["scans_hour", "failure_hour", "scans_day", "failure_day"]].tolist() == [
        1,
        100.0,
        1,
        100.0,
    ]


def test_recent_failures_and_their_error_classes(app_world: World) -> None:
    app = open_app(PAGE)
    failures = table_with(app, "error_class")
    assert failures[["search", "marketplace", "error_class", "error"]].values.tolist() == [
        ["Fender Strat", "eBay", "blocked", "HTTP 403 from ebay"]
    ]
    classes = table_with(app, "count")
    assert classes.values.tolist() == [["blocked", 1]]


def breaker(engine: Engine, marketplace: str) -> MarketplaceState | None:
    with Session(engine) as session:
        return session.get(MarketplaceState, marketplace)


def test_a_marketplace_can_be_paused_with_a_reason_and_resumed(app_world: World, app_engine: Engine) -> None:
    app = open_app(PAGE)
    app.text_input(key="ops.pause-reason").input("eBay blocks us, waiting for API keys")
    app.button(key="ops.pause.ebay").click().run()
    state = breaker(app_engine, "ebay")
    assert state is not None and state.paused and state.pause_reason == "eBay blocks us, waiting for API keys"
    assert any("eBay blocks us" in text for text in texts(app, "markdown"))
    app.button(key="ops.resume.ebay").click().run()
    state = breaker(app_engine, "ebay")
    assert state is not None and not state.paused


def test_retry_failed_puts_failed_alerts_back_to_pending(app_world: World, app_engine: Engine) -> None:
    with Session(app_engine) as session:
        for recipient, status in (
            ("a@example.com", "failed"),
            ("b@example.com", "failed"),
            ("c@example.com", "pending"),
        ):
            session.add(
                Notification(
                    search_id=app_world.strat_id,
                    listing_id=app_world.bargain_id,
                    reason=DealReason.TARGET_PRICE,
                    recipient=recipient,
                    subject="deal",
                    body_text="deal",
                    body_html="<p>deal</p>",
                    status=NotificationStatus(status),
                    attempts=5,
                    last_error="connection refused",
                    created_at=utcnow() - timedelta(minutes=5),
                )
            )
        session.commit()
    app = open_app(PAGE)
    assert (metrics(app)["Pending"], metrics(app)["Failed"]) == ("1", "2")
    retry = app.button(key="ops.retry-failed")
    assert retry.label == "Retry failed (2)"
    retry.click().run()
    with Session(app_engine) as session:
        statuses = [row.status for row in session.exec(select(Notification))]
    assert statuses == [NotificationStatus.PENDING] * 3
    assert (metrics(app)["Pending"], metrics(app)["Failed"]) == ("3", "0")
    assert app.button(key="ops.retry-failed").disabled


def test_no_failures_is_said_plainly(app_engine: Engine) -> None:
    app = open_app(PAGE)
    assert "No failed tasks in the last 24 hours." in texts(app, "success")
    assert "No marketplace has been scanned yet." in texts(app, "caption")
