"""Searches: each saved search with its status, last scan, next scan and deal count; create,
edit, pause, resume, delete and "Rescan now"."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, data, resources
from dashboard.components import rescan, search_form, status
from dashboard.components.formatting import marketplace_name, money, plain, relative
from models.queries.searches import SearchSummary
from models.tables import SearchStatus

EDITING_KEY = "searches.editing"
DELETING_KEY = "searches.deleting"
NEW_FORM = "search-new"

settings = resources.settings()


def _close_editor(_saved_id: int) -> None:
    st.session_state[EDITING_KEY] = None


def _start_editing(search_id: int) -> None:
    search_form.reset(f"search-edit-{search_id}")
    st.session_state[EDITING_KEY] = None if st.session_state.get(EDITING_KEY) == search_id else search_id


def _delete(search: SearchSummary) -> None:
    actions.delete_search(search.id)
    st.session_state[DELETING_KEY] = None
    st.session_state[search_form.FLASH_KEY] = f"Deleted “{plain(search.name)}” and its deals."


def _next_scan(search: SearchSummary) -> str:
    if search.status is SearchStatus.PAUSED:
        return "Paused"
    when = relative(search.next_scan_at)
    due = "due now" if when == "now" or when.endswith("ago") else when
    return f"First scan {due}" if search.last_scanned_at is None else f"Next scan {due}"


def _last_scan(search: SearchSummary) -> None:
    scan = search.last_scan
    if scan is None:  # never scanned, or its task log is older than TASK_LOG_RETENTION_DAYS
        st.caption("No scan yet" if search.last_scanned_at is None else f"Last scan {relative(search.last_scanned_at)}")
        return
    finished = scan.finished_at
    if finished is None:
        st.caption("Scanning now…")
        return
    kind, text = rescan.describe(scan)
    icon = {
        "success": ":green[:material/check_circle:]",
        "error": ":red[:material/error:]",
        "warning": ":orange[:material/warning:]",
    }[kind]
    st.markdown(f"{icon} Last scan {relative(finished)}  \n{text}")


def _card(search: SearchSummary, queue_problem: str | None) -> None:
    paused = search.status is SearchStatus.PAUSED
    with st.container(border=True, key=f"search-card-{search.id}"):
        about, last, upcoming, deals = st.columns([4, 3, 2, 1])
        with about:
            badge = " :gray-badge[Paused]" if paused else " :green-badge[Active]"
            st.markdown(f"#### {plain(search.name)}{badge}")
            prices = []
            low, high = search.min_price, search.max_price
            if low is not None and high is not None:
                prices.append(f"{money(low, search.currency)} – {money(high, search.currency)}")
            elif high is not None:
                prices.append(f"up to {money(high, search.currency)}")
            elif low is not None:
                prices.append(f"from {money(low, search.currency)}")
            if search.target_price is not None:
                prices.append(f"target {money(search.target_price, search.currency)}")
            st.caption(
                " · ".join(
                    [
                        f"“{plain(search.query)}”",
                        ", ".join(marketplace_name(m) for m in search.marketplaces),
                        f"every {search.interval_minutes} min",
                        *prices,
                    ]
                )
            )
        with last:
            _last_scan(search)
        with upcoming:
            st.markdown(_next_scan(search))
            if search.alert_recipients:
                st.caption(f"Alerts to {plain(', '.join(search.alert_recipients))}")
        with deals:
            st.metric("Deals", search.deal_count)

        with st.container(horizontal=True, vertical_alignment="center"):
            st.button(
                "Resume" if paused else "Pause",
                key=f"search.{search.id}.toggle",
                icon=":material/play_arrow:" if paused else ":material/pause:",
                on_click=actions.set_search_status,
                args=(search.id, SearchStatus.ACTIVE if paused else SearchStatus.PAUSED),
            )
            st.button(
                "Edit",
                key=f"search.{search.id}.edit",
                icon=":material/edit:",
                on_click=_start_editing,
                args=(search.id,),
            )
            st.button(
                "Delete",
                key=f"search.{search.id}.delete",
                icon=":material/delete:",
                on_click=st.session_state.update,
                args=({DELETING_KEY: search.id},),
            )
            rescan.rescan_control(search.id, queue_problem)

        if st.session_state.get(DELETING_KEY) == search.id:
            st.warning(f"Delete “{plain(search.name)}”? Its deals and alerts go too; listings stay for other searches.")
            yes, no, _ = st.columns([1, 1, 4])
            yes.button(
                "Delete for good",
                key=f"search.{search.id}.confirm-delete",
                type="primary",
                on_click=_delete,
                args=(search,),
                width="stretch",
            )
            no.button(
                "Cancel",
                key=f"search.{search.id}.cancel-delete",
                width="stretch",
                on_click=st.session_state.update,
                args=({DELETING_KEY: None},),
            )

        if st.session_state.get(EDITING_KEY) == search.id:
            saved = data.load_search(search.id)
            if saved is not None:
                search_form.search_form(
                    f"search-edit-{search.id}", search=saved, settings=settings, on_saved=_close_editor
                )


st.title("Searches")
flash = st.session_state.pop(search_form.FLASH_KEY, None)
if flash:
    st.success(flash, icon=":material/check:")

summaries = data.search_summaries()
problem = status.queue_problem(data.health())

with st.expander("New search", icon=":material/add:", expanded=not summaries):
    if not summaries:
        st.markdown(
            "**No searches yet.** Describe what you are looking for and where. New here? Keep "
            "**Demo market** selected: it is built in, so you can watch a scan find deals without "
            "touching a real marketplace. The first scan runs as soon as you save."
        )
    search_form.search_form(
        NEW_FORM, search=None, settings=settings, on_saved=lambda _id: None, suggest_demo=not summaries
    )

for summary in summaries:
    _card(summary, problem)
