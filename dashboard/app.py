"""Entry point: `streamlit run dashboard/app.py`. Checks settings, then hands over to the pages."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts dashboard/ on sys.path, not the project root that holds `models`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.settings import SettingsError  # noqa: E402
from dashboard import resources  # noqa: E402

st.set_page_config(page_title="Deal Scout", page_icon="🏷️", layout="wide")

try:
    resources.settings()
except SettingsError as error:
    st.error(f"Deal Scout cannot start: {error}")
    st.stop()

VIEWS = Path(__file__).resolve().parent / "views"
page = st.navigation([st.Page(VIEWS / "operations.py", title="Operations", icon="🩺")])
page.run()
