"""Banners every page shows when something the dashboard relies on is down.

The database is needed for everything but the Operations page; the queue only for scans, so
when Redis is down the banner says so and browsing carries on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.components.formatting import plain
from models.health import DOWN


def _errors(report: Mapping[str, Any]) -> dict[str, str]:
    """The report's `errors` section: what failed, keyed by check ("db", "redis", "queue")."""
    errors: dict[str, str] = report["errors"]
    return errors


def database_problem(report: Mapping[str, Any]) -> str | None:
    return _errors(report).get("db", "unreachable") if report["db"] == DOWN else None


def queue_problem(report: Mapping[str, Any]) -> str | None:
    """Why scans cannot be enqueued right now, or None when the queue answers."""
    if report["redis"] == DOWN:
        return _errors(report).get("redis", "Redis is unreachable")
    return _errors(report).get("queue")


def banners() -> bool:
    """Draw the banners; False when the database cannot be used (pages that need it stop)."""
    if data.schema_is_current() is False:  # checked first: the health check needs the tables
        st.error(
            "**The database schema is out of date.** Run `python -m scanner migrate`, then reload.",
            icon=":material/database:",
        )
        return False
    report = data.health()
    problem = database_problem(report)
    if problem:
        st.error(
            f"**The database is unreachable** ({plain(problem)}). Deal Scout cannot show or save anything until it is back.",
            icon=":material/database:",
        )
        return False
    problem = queue_problem(report)
    if problem:
        st.warning(
            f"**The queue is unreachable** ({plain(problem)}). Scheduled scans and “Rescan now” wait until it is back; "
            "everything already stored can still be browsed.",
            icon=":material/cloud_off:",
        )
    return True
