"""Markdown is off for text from outside, on every page (issue 20, defect 6), checked quickly
through AppTest: every element that renders Markdown — text, captions, alerts, tooltips — holds
the hostile text of `tests/dashboard/hostile.py` only escaped, so it shows the characters and
makes no image, link or directive. The browser test proves the same in Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.components.formatting import plain
from dashboard.components.rescan import describe
from models.queries.searches import MarketplaceRun, ScanProgress
from models.tables import TaskStatus
from models.types import utcnow
from tests.dashboard.conftest import open_app
from tests.dashboard.hostile import Seeded, hostile, seed_hostile

OUTSIDE = "http://127.0.0.1:9"
MARKDOWN_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "toast", "title", "subheader")
# What Markdown would act on, unless a backslash says "the character itself"
ACTIVE = re.compile(r"(?<!\\)(!\[|\]\(|<img|:violet\[)")


@pytest.fixture
def seeded(app_engine: Engine) -> Seeded:
    with Session(app_engine, expire_on_commit=False) as session:
        return seed_hostile(session, OUTSIDE, utcnow())


def rendered(app: AppTest) -> list[str]:
    """Every Markdown string of the page: element bodies, and the tooltips of buttons and inputs."""
    found = [str(element.value) for kind in MARKDOWN_ELEMENTS for element in app.get(kind)]
    widgets: list[Any] = [*app.button, *app.text_input, *app.selectbox, *app.multiselect]
    found += [str(widget.help) for widget in widgets if getattr(widget, "help", None)]
    return found


@pytest.mark.parametrize(
    ("page", "shows"),
    [
        ("views/searches.py", ["name", "query", "error"]),
        ("views/operations.py", ["reason"]),
        ("views/price_history.py", []),
        ("views/deals.py", []),
    ],
)
def test_outside_text_reaches_markdown_only_escaped(seeded: Seeded, page: str, shows: list[str]) -> None:
    app = open_app(page)
    assert not app.exception
    texts = rendered(app)
    assert [text for text in texts if ACTIVE.search(text)] == []
    for what in shows:  # the hostile text is there, as its characters
        assert any(plain(hostile(OUTSIDE, what))[:60] in text for text in texts), what


def test_a_scan_error_in_the_rescan_result_is_escaped() -> None:
    run = MarketplaceRun(
        marketplace="demo",
        status=TaskStatus.FAILED,
        error_class="markup_changed",
        error=hostile(OUTSIDE, "error"),
        listings_found=0,
        listings_new=0,
        created_at=utcnow(),
    )
    kind, text = describe(ScanProgress(task_id="t", runs=(run,)))
    assert kind == "error"
    assert not ACTIVE.search(text)
    assert plain(hostile(OUTSIDE, "error")) in text
