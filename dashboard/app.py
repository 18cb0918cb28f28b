"""Entry point: `streamlit run dashboard/app.py`. Checks settings and sign-in, shows the service
banners, then hands over to the page chosen in the navigation."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts dashboard/ on sys.path, not the project root that holds `models`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import resources  # noqa: E402
from dashboard.components import auth, status  # noqa: E402
from models.settings import SettingsError  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="Deal Scout", page_icon="🏷️", layout="wide")

try:
    settings = resources.settings()
except SettingsError as error:
    st.error(f"Deal Scout cannot start: {error}")
    st.stop()

if not auth.signed_in(settings):
    st.stop()

operations = st.Page(VIEWS / "operations.py", title="Operations", icon=":material/monitor_heart:")
page = st.navigation(
    [
        st.Page(VIEWS / "deals.py", title="Deals", icon=":material/sell:", default=True),
        st.Page(VIEWS / "searches.py", title="Searches", icon=":material/manage_search:"),
        st.Page(VIEWS / "price_history.py", title="Price history", icon=":material/show_chart:"),
        operations,
    ]
)
if not status.banners() and page.url_path != operations.url_path:
    st.stop()
page.run()
