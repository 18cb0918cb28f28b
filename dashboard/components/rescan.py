"""The "Rescan now" control of one search, and how a scan's result is worded.

One click enqueues the scan (ahead of the schedule) and keeps its task id in session state; a
fragment then polls the task log every two seconds — no rows yet: queued; a `running` row:
running; otherwise done, with the counts or the error — and stops polling once it is done.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

import streamlit as st

from dashboard import actions, data, resources
from dashboard.components.formatting import marketplace_name, plain, relative
from models.queries.searches import ScanProgress, ScanState
from models.secrets import mask_secrets, secret_values
from models.tables import TaskStatus
from models.types import utcnow

POLL_EVERY = timedelta(seconds=2)
QUEUED_TOO_LONG = timedelta(minutes=2)


class RescanState(TypedDict, total=False):
    """What session state keeps of a search's latest "Rescan now": the error when it could not be
    enqueued, else the task id, when it was enqueued and whether the scan is done."""

    error: str
    task_id: str
    enqueued_at: datetime
    done: bool


def state_key(search_id: int) -> str:
    return f"rescan.{search_id}"


def describe(progress: ScanProgress) -> tuple[str, str]:
    """(kind, sentence) for a finished scan: kind is success, error or warning. The sentence is
    Markdown: the error texts in it (which can quote a page's title) are escaped with `plain`."""
    counts = f"{progress.listings_found} listings found, {progress.listings_new} new"
    problems = "; ".join(
        f"{marketplace_name(run.marketplace)} {'skipped' if run.status is TaskStatus.SKIPPED else 'failed'}"
        f"{f' ({plain(run.error_class)})' if run.error_class else ''}{f': {plain(run.error)}' if run.error else ''}"
        for run in progress.problems
    )
    if not progress.problems:
        return "success", counts
    if progress.status is TaskStatus.SKIPPED:
        return "warning", problems
    return ("error" if progress.status is TaskStatus.FAILED else "warning"), f"{counts} · {problems}"


def show(kind: str, text: str) -> None:
    {"success": st.success, "error": st.error, "warning": st.warning}[kind](text)


def _enqueue(search_id: int) -> None:
    try:
        task_id = actions.rescan(search_id)
    except Exception as error:  # noqa: BLE001  (any storage error means "cannot enqueue")
        message = mask_secrets(f"{type(error).__name__}: {error}", secret_values(resources.settings()))
        st.session_state[state_key(search_id)] = RescanState(error=message)
        return
    st.session_state[state_key(search_id)] = RescanState(task_id=task_id, enqueued_at=utcnow(), done=False)


def _show_progress(state: RescanState, progress: ScanProgress) -> None:
    if progress.state is ScanState.QUEUED:
        enqueued_at = state["enqueued_at"]
        if utcnow() - enqueued_at > QUEUED_TOO_LONG:
            st.warning(
                f"Still queued (since {relative(enqueued_at)}): is a worker running? See Operations.",
                icon=":material/hourglass_top:",
            )
        else:
            st.info("Queued: waiting for a worker…", icon=":material/hourglass_top:")
    elif progress.state is ScanState.RUNNING:
        steps = ", ".join(
            f"{marketplace_name(run.marketplace)} {'…' if run.status is TaskStatus.RUNNING else run.status.value}"
            for run in progress.runs
        )
        st.info(f"Running: {steps}", icon=":material/sync:")
    else:
        kind, text = describe(progress)
        show(kind, f"Done: {text}")


def _panel(search_id: int, polling: bool, queue_problem: str | None) -> None:
    state: RescanState = st.session_state.get(state_key(search_id), {})
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            "Cannot enqueue" if queue_problem else "Rescan now",
            key=f"{state_key(search_id)}.button",
            icon=":material/block:" if queue_problem else ":material/refresh:",
            disabled=queue_problem is not None,
            help=f"The queue is unreachable: {plain(queue_problem)}"
            if queue_problem
            else "Scan this search now, ahead of its schedule",
            on_click=_enqueue,
            args=(search_id,),
            type="primary",
        )
        if queue_problem and not state:
            st.caption(":orange[Cannot enqueue a scan while the queue is unreachable.]")
        if "error" in state:
            st.error(f"Cannot enqueue the scan: the queue is unreachable ({plain(state['error'])}).")
            return
        task_id = state.get("task_id")
        if not task_id:
            return
        progress = data.scan_progress(task_id)
        _show_progress(state, progress)
    done = progress.state is ScanState.DONE
    if done != state.get("done"):
        updated: RescanState = {**state, "done": done}
        st.session_state[state_key(search_id)] = updated
    if polling == done:  # start polling after the click, or stop once done and show the card's new figures
        if done:
            data.refresh()
        st.rerun()


def rescan_control(search_id: int, queue_problem: str | None) -> None:
    """The button and the live status of this search's latest "Rescan now"."""
    state: RescanState = st.session_state.get(state_key(search_id), {})
    polling = bool(state.get("task_id")) and not state.get("done")
    st.fragment(_panel, run_every=POLL_EVERY if polling else None)(search_id, polling, queue_problem)
