"""The dashboard starts on an empty install and shows what it is connected to."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def test_operations_page_shows_database_and_queue() -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not app.exception
    assert [title.value for title in app.title] == ["Operations"]
    assert any("reachable" == success.value for success in app.success)
    assert app.metric[0].value == "0"
