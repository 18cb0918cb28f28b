"""Entry point: `streamlit run dashboard/app.py`. Checks settings and sign-in, shows the service
banners, then hands over to the page chosen in the navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import resources
from dashboard.components import auth, status
from dashboard.components.formatting import plain
from models.settings import SettingsError

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="Deal Scout", page_icon="🏷️", layout="wide")

try:
    settings = resources.settings()
except SettingsError as error:
    st.error(f"Deal Scout cannot start: {plain(error)}")
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
