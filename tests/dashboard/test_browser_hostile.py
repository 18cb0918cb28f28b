"""Hostile text in a real browser (`tests/dashboard/hostile.py`: a listing title, a search name
and query, a scan error quoting a page title and a pause reason, each holding a Markdown image, an
HTML `<img>` with a script and a `javascript:` link, all pointing at a local "outside" server),
rendered by `streamlit run` in Chromium on every page that shows it, the dismiss tooltip
included: not one request reaches that server and not one dialog opens. (Issue 20, defect 6.)
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from models.db import create_db_engine
from models.migrate import upgrade
from models.types import utcnow
from tests.dashboard.hostile import seed_hostile
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium, running, wait_for


class _Outside(ThreadingHTTPServer):
    """Somewhere the operator's browser must never be sent by what a page or a person wrote."""

    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Count)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Count(BaseHTTPRequestHandler):
    server: _Outside

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()
        self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        pass


@dataclass(frozen=True)
class Hostile:
    base: str
    outside: _Outside


@pytest.fixture
def hostile_dashboard(tmp_path: Path) -> Iterator[Hostile]:
    """The dashboard alone (no worker), on a database holding hostile text wherever it shows."""
    require_chromium()
    outside = _Outside()
    threading.Thread(target=outside.serve_forever, daemon=True).start()
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{data_dir}/deal-scout.db"
    engine = create_db_engine(database_url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        seed_hostile(session, outside.url, utcnow())
    engine.dispose()
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "REDIS_URL": ""}
    port = free_port()
    command = [
        *(sys.executable, "-m", "streamlit", "run", "dashboard/app.py"),
        *("--server.port", str(port), "--server.address", "127.0.0.1"),
        *("--server.headless", "true", "--server.fileWatcherType", "none"),
    ]
    log = tmp_path / "dashboard.log"
    try:
        with running(command, env, log) as server:
            wait_for(f"http://127.0.0.1:{port}/_stcore/health", server, log)
            yield Hostile(f"http://127.0.0.1:{port}", outside)
    finally:
        outside.shutdown()
        outside.server_close()


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_hostile_text_is_shown_as_text_and_sends_the_browser_nowhere(hostile_dashboard: Hostile) -> None:
    from playwright.sync_api import Dialog, expect, sync_playwright

    app = hostile_dashboard
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1300})
        page.set_default_timeout(45_000)  # generous: the first run of a page is slow on a busy machine
        expect.set_options(timeout=45_000)

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)

        page.goto(app.base)  # Deals: select the deal, read why, hover the dismiss button's tooltip
        table = page.get_by_test_id("stDataFrame").first
        expect(table).to_be_visible()
        page.wait_for_timeout(500)  # the grid draws on a canvas
        box = table.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 18, box["y"] + 40 + 36)  # the first row's selection box
        dismiss_button = page.get_by_role("button", name="Dismiss 1 selected")
        expect(dismiss_button).to_be_visible()
        expect(page.get_by_text("Why “title ![x]", exact=False)).to_be_visible()  # the characters, as typed
        dismiss_button.hover()
        expect(page.get_by_test_id("stTooltipContent")).to_contain_text("Hide “title ![x](")

        page.goto(f"{app.base}/searches")  # the search's name, query and the scan error quoting a page
        expect(page.get_by_text("has no listings", exact=False)).to_be_visible()
        expect(page.get_by_text("name ![x](", exact=False).first).to_be_visible()

        page.goto(f"{app.base}/operations")  # the pause reason, the failure's error text
        expect(page.get_by_text("reason ![x](", exact=False)).to_be_visible()
        page.wait_for_timeout(500)  # anything a page would load has had its chance
        # (Price history shows titles in a select box and chart tooltips, neither Markdown; its
        # Markdown is checked in test_hostile_text.py, which needs no browser.)
        browser.close()

    assert app.outside.requests == []
    assert dialogs == []
