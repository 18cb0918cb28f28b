"""Operations: what the dashboard is connected to and whether it answers."""

from __future__ import annotations

import streamlit as st

from dashboard import resources
from models.db import ping
from scanner.queue import backend_name

st.title("Operations")
settings = resources.settings()

database, queue = st.columns(2)
with database:
    st.subheader("Database")
    st.code(settings.database_url_for_display(), language=None)
    try:
        ping(resources.engine())
        st.success("reachable")
    except Exception as error:  # noqa: BLE001  (any driver error means "down" here)
        st.error(f"unreachable: {type(error).__name__}")
with queue:
    st.subheader("Queue")
    huey = resources.queue()
    st.code(settings.redis_url_for_display() or str(settings.huey_sqlite_path), language=None)
    try:
        st.metric(f"Pending tasks ({backend_name(huey)})", huey.pending_count())
    except Exception as error:  # noqa: BLE001
        st.error(f"unreachable: {type(error).__name__}")
