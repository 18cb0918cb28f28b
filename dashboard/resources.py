"""Process-wide resources for the dashboard, created once per server (`st.cache_resource`)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from models.db import get_engine
from models.health import HealthChecker
from models.settings import Settings, get_settings
from scanner.api import TaskQueue, open_queue


@st.cache_resource
def settings() -> Settings:
    return get_settings()


@st.cache_resource
def engine() -> Engine:
    return get_engine(settings())


@st.cache_resource
def queue() -> TaskQueue:
    """The queue the workers consume: the dashboard reads its depth and enqueues rescans on it."""
    return open_queue(settings())


@st.cache_resource
def health_checker() -> HealthChecker:
    """The same check `GET /health` and `python -m scanner health` run."""
    return HealthChecker(settings(), engine(), queue())
