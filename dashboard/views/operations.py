"""Operations, the on-call view: is everything up, what is failing and why, the circuit
breakers (with pause/resume) and the alert outbox (with "retry failed").

The status comes from the same `HealthChecker` as `GET /health`; the figures from
`models.queries.ops`. The page refreshes itself every 30 seconds while open.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import actions, data, resources
from dashboard.components.formatting import ago, marketplace_name, plain, relative
from dashboard.components.status import database_problem, queue_problem
from models.formatting import error_label
from models.operations import MAX_PAUSE_REASON
from models.queries.ops import HEARTBEAT_STALE_AFTER, MarketplaceStatus
from models.tables import BreakerState, Marketplace, NotificationStatus
from models.types import utcnow

REFRESH_EVERY = timedelta(seconds=30)
PAUSE_REASON_KEY = "ops.pause-reason"
SWITCHES_PER_ROW = 3
BREAKER_LABELS = {
    BreakerState.CLOSED: ":green-badge[closed]",
    BreakerState.HALF_OPEN: ":orange-badge[half-open: trial running]",
    BreakerState.OPEN: ":red-badge[open]",
}

settings = resources.settings()


def _status_row(report: dict[str, object]) -> None:
    database, queue, worker, smtp = st.columns(4, border=True)
    with database:
        problem = database_problem(report)
        st.metric("Database", "down" if problem else "reachable")
        st.caption(plain(problem or settings.database_url_for_display()))
    with queue:
        problem = queue_problem(report)
        depth = report.get("queue_depth")
        st.metric(f"Queue ({report['queue_backend']})", "unreachable" if problem else f"{depth} pending")
        st.caption(
            plain(problem) if problem else f"{report.get('queue_scheduled') or 0} scheduled (retries and delays)"
        )
    with worker:
        beat = report.get("worker_heartbeat")
        if not isinstance(beat, dict):
            st.metric("Worker", "never seen")
            st.caption("Start one: `python -m scanner worker`")
        else:
            st.metric("Worker", "stale" if beat["stale"] else f"{beat['workers_alive']} alive")
            st.caption(f"Last heartbeat {beat['age_seconds']:.0f} s ago from {plain(beat['worker_id'])}")
    with smtp:
        st.metric("Email (SMTP)", "configured" if settings.smtp_configured else "not set")
        st.caption(
            plain(report["smtp"]) if settings.smtp_configured else "SMTP not configured: set SMTP_HOST to email alerts"
        )


def _marketplace_frame(snapshot: data.OperationsSnapshot) -> pd.DataFrame:
    hour = snapshot.last_hour
    day = {item.marketplace: item for item in snapshot.last_day}
    return pd.DataFrame(
        {
            "marketplace": [marketplace_name(item.marketplace) for item in hour],
            "state": ["paused" if item.paused else item.breaker_state.value.replace("_", "-") for item in hour],
            "scans_hour": [item.runs for item in hour],
            "failure_hour": [item.failure_rate * 100 for item in hour],
            "scans_day": [day[item.marketplace].runs if item.marketplace in day else 0 for item in hour],
            "failure_day": [
                day[item.marketplace].failure_rate * 100 if item.marketplace in day else 0.0 for item in hour
            ],
            "last_success": [item.last_success_at for item in hour],
            "last_error": [error_label(item.last_error_class) for item in hour],
        }
    )


def _marketplaces(snapshot: data.OperationsSnapshot) -> None:
    st.subheader("Marketplaces")
    if snapshot.last_hour:
        percent = "%.0f%%"
        st.dataframe(
            _marketplace_frame(snapshot),
            hide_index=True,
            column_config={
                "marketplace": st.column_config.TextColumn("Marketplace"),
                "state": st.column_config.TextColumn("Breaker / switch"),
                "scans_hour": st.column_config.NumberColumn("Scans (1 h)"),
                "failure_hour": st.column_config.ProgressColumn(
                    "Failed (1 h)", format=percent, min_value=0, max_value=100
                ),
                "scans_day": st.column_config.NumberColumn("Scans (24 h)"),
                "failure_day": st.column_config.ProgressColumn(
                    "Failed (24 h)", format=percent, min_value=0, max_value=100
                ),
                "last_success": st.column_config.DatetimeColumn("Last success", format="distance"),
                "last_error": st.column_config.TextColumn("Last error"),
            },
        )
    else:
        st.caption("No marketplace has been scanned yet.")

    st.markdown("**Circuit breakers and pause switches**")
    st.text_input(
        "Reason for pausing", value="paused from the dashboard", key=PAUSE_REASON_KEY, max_chars=MAX_PAUSE_REASON
    )
    known = {item.marketplace: item for item in snapshot.last_hour}
    names = [m.value for m in Marketplace]
    for row in range(0, len(names), SWITCHES_PER_ROW):
        for column, marketplace in zip(st.columns(SWITCHES_PER_ROW), names[row : row + SWITCHES_PER_ROW], strict=False):
            with column, st.container(border=True, key=f"ops.switch.{marketplace}"):
                _switch(marketplace, known.get(marketplace))


def _switch(marketplace: str, item: MarketplaceStatus | None) -> None:
    """One marketplace's pause switch and breaker, with the button that changes it."""
    name, button = st.columns([3, 2], vertical_alignment="center")
    name.markdown(f"**{marketplace_name(marketplace)}**")
    stopped = item is not None and (item.paused or item.breaker_state is not BreakerState.CLOSED)
    if stopped:
        button.button(
            "Resume",
            key=f"ops.resume.{marketplace}",
            icon=":material/play_arrow:",
            width="stretch",
            on_click=actions.resume_marketplace,
            args=(marketplace,),
            help="Unpause and close the circuit breaker",
        )
    else:
        button.button(
            "Pause",
            key=f"ops.pause.{marketplace}",
            icon=":material/pause:",
            width="stretch",
            on_click=_pause,
            args=(marketplace,),
            help="Stop scanning it for every search",
        )
    if item is None:
        st.caption("not scanned yet")
    elif item.paused:
        st.markdown(f":gray-badge[paused] {plain(item.pause_reason or '')}")
    else:
        until = (
            f" until {relative(item.open_until)}" if item.breaker_state is BreakerState.OPEN and item.open_until else ""
        )
        failures = f" · {item.consecutive_failures} failures in a row" if item.consecutive_failures else ""
        st.markdown(f"{BREAKER_LABELS[item.breaker_state]}{until}{failures}")


def _pause(marketplace: str) -> None:
    actions.pause_marketplace(marketplace, st.session_state.get(PAUSE_REASON_KEY) or "paused from the dashboard")


def _failures(snapshot: data.OperationsSnapshot) -> None:
    st.subheader("Failures in the last 24 hours")
    if not snapshot.failures:
        st.success("No failed tasks in the last 24 hours.", icon=":material/check_circle:")
        return
    classes, recent = st.columns([1, 3])
    with classes:
        st.dataframe(
            pd.DataFrame(
                {
                    "error": [c.error_class for c in snapshot.error_classes],
                    "count": [c.count for c in snapshot.error_classes],
                }
            ),
            hide_index=True,
            column_config={"error": "Error class", "count": st.column_config.NumberColumn("Failures")},
        )
    with recent:
        st.dataframe(
            pd.DataFrame(
                {
                    "at": [f.created_at for f in snapshot.failures],
                    "search": [f.search_name or (f"#{f.search_id}" if f.search_id else "") for f in snapshot.failures],
                    "marketplace": [
                        marketplace_name(f.marketplace) if f.marketplace else "" for f in snapshot.failures
                    ],
                    "error_class": [f.error_class or "" for f in snapshot.failures],
                    "error": [f.error or "" for f in snapshot.failures],
                    "task": [f.task_name for f in snapshot.failures],
                }
            ),
            hide_index=True,
            column_config={
                "at": st.column_config.DatetimeColumn("When", format="distance"),
                "search": "Search",
                "marketplace": "Marketplace",
                "error_class": "Error class",
                "error": st.column_config.TextColumn("Error", width="large"),
                "task": "Task",
            },
        )


def _retry_failed() -> None:
    count = actions.retry_failed_notifications()
    st.session_state["ops.flash"] = f"{count} failed alert{'s' if count != 1 else ''} put back in the queue."


def _outbox(snapshot: data.OperationsSnapshot) -> None:
    st.subheader("Alert outbox")
    if not settings.smtp_configured:
        st.markdown(
            ":orange[:material/mail: **SMTP not configured**: alerts are kept pending, not emailed. "
            "Set `SMTP_HOST` (and `SMTP_USER`/`SMTP_PASSWORD` if needed), then restart the worker.]"
        )
    pending, sent, failed, retry = st.columns([1, 1, 1, 2], vertical_alignment="center")
    pending.metric("Pending", snapshot.outbox[NotificationStatus.PENDING])
    sent.metric("Sent", snapshot.outbox[NotificationStatus.SENT])
    failures = snapshot.outbox[NotificationStatus.FAILED]
    failed.metric("Failed", failures)
    retry.button(
        f"Retry failed ({failures})",
        key="ops.retry-failed",
        icon=":material/replay:",
        disabled=failures == 0,
        on_click=_retry_failed,
        help="Put failed alerts back to pending with a fresh set of attempts",
    )


def _workers(snapshot: data.OperationsSnapshot) -> None:
    st.subheader("Workers")
    if not snapshot.workers:
        st.caption("No worker has ever reported. Start one with `python -m scanner worker`.")
        return
    now = utcnow()
    st.dataframe(
        pd.DataFrame(
            {
                "worker": [w.worker_id for w in snapshot.workers],
                "threads": [w.threads for w in snapshot.workers],
                "started": [w.started_at for w in snapshot.workers],
                "seen": [ago(w.seen_at, now) for w in snapshot.workers],
                "alive": [now - w.seen_at <= HEARTBEAT_STALE_AFTER for w in snapshot.workers],
            }
        ),
        hide_index=True,
        column_config={
            "worker": "Worker",
            "threads": st.column_config.NumberColumn("Threads"),
            "started": st.column_config.DatetimeColumn("Started", format="distance"),
            "seen": "Last heartbeat",
            "alive": st.column_config.CheckboxColumn("Alive"),
        },
    )


@st.fragment(run_every=REFRESH_EVERY)
def operations_view() -> None:
    flash = st.session_state.pop("ops.flash", None)
    if flash:
        st.toast(flash, icon=":material/replay:")
    report = data.health()
    _status_row(report)
    for warning in report["warnings"]:
        st.warning(plain(warning), icon=":material/warning:")
    if database_problem(report):
        return
    snapshot = data.operations_snapshot()
    _marketplaces(snapshot)
    _failures(snapshot)
    _outbox(snapshot)
    _workers(snapshot)
    st.caption(f"Checked at {report['checked_at']} (UTC); refreshes every 30 seconds.")


st.title("Operations")
if data.schema_is_current() is False:
    st.stop()  # the banner above says to migrate; nothing here can be read before that
operations_view()
