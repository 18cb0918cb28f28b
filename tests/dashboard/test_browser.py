"""One real-browser walk through the dashboard: `streamlit run` on a free port, a real worker
(`python -m scanner worker`) and the demo market, on a seeded SQLite database and Huey's SQLite
queue in a temporary DATA_DIR — driven by Playwright with Debian's Chromium.

It creates a search through the form, presses "Rescan now", waits for the scan's result, and
saves screenshots of the pages under test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import URLError

import pytest
from sqlmodel import Session, func, select

from demo_market import DemoMarket
from models.db import create_db_engine
from models.migrate import upgrade
from models.tables import PriceObservation, Search, TaskLog, TaskStatus
from models.types import utcnow
from tests.dashboard.demo_history import seed_demo_history

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCAN_TIMEOUT_MS = 90_000


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("DEALSCOUT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, and DEALSCOUT_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process for the test's duration; Ctrl-C'd (then killed) at the end, its output in `log`."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} never came up; its process exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, str, int, int]]:
    """Demo market, seeded database, worker and dashboard: (dashboard URL, database URL, guitars id, a listing id)."""
    require_chromium()
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{data_dir}/deal-scout.db"
    with DemoMarket() as market:
        engine = create_db_engine(database_url)
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            guitars = seed_demo_history(session, market.url, utcnow())
            busiest = session.exec(
                select(PriceObservation.listing_id)
                .group_by(PriceObservation.listing_id)
                .order_by(func.count().desc(), PriceObservation.listing_id)
                .limit(1)
            ).one()
        engine.dispose()
        env = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "REDIS_URL": "",
            "DEMO_MARKET_URL": market.url,
            "HEALTH_PORT": str(free_port()),
            "WORKER_THREADS": "2",
        }
        port = free_port()
        dashboard = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ]
        worker_log, dashboard_log = tmp_path / "worker.log", tmp_path / "dashboard.log"
        with (
            running([sys.executable, "-m", "scanner", "worker"], env, worker_log),
            running(dashboard, env, dashboard_log) as server,
        ):
            wait_for(f"http://127.0.0.1:{port}/_stcore/health", server, dashboard_log)
            yield f"http://127.0.0.1:{port}", database_url, guitars, busiest


def shoot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_create_a_search_rescan_it_and_browse_the_results(stack: tuple[str, str, int, int]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, database_url, guitars, busiest = stack
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1300})
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)

        page.goto(f"{base}/searches")
        page.get_by_text("New search").click()
        for label, value in (
            ("Name", "Cameras"),
            ("Search for", "camera"),
            ("Leave out listings with", "parts"),
            ("Target price", "400"),
        ):
            page.get_by_role("textbox", name=label, exact=True).fill(value)
        page.get_by_role("combobox", name="Marketplaces").click()
        page.get_by_role("option", name="Demo market").click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Create search").click()
        expect(page.get_by_text("Saved “Cameras”.")).to_be_visible()

        card = page.locator("[class*='st-key-search-card-']", has_text="Cameras")
        card.get_by_role("button", name="Rescan now").click()
        expect(card.get_by_text(re.compile(r"Done: [1-9]\d* listings found, \d+ new"))).to_be_visible(
            timeout=SCAN_TIMEOUT_MS
        )
        shoot(page, "searches")

        engine = create_db_engine(database_url)
        with Session(engine) as session:
            cameras = session.exec(select(Search).where(Search.name == "Cameras")).one()
            statuses = session.exec(select(TaskLog.status).where(TaskLog.search_id == cameras.id)).all()
        engine.dispose()
        assert TaskStatus.SUCCESS in statuses

        page.goto(base)
        expect(page.get_by_text("Deals shown")).to_be_visible()
        page.wait_for_function(
            "() => [...document.images].filter(i => i.src.includes('/img/')).length === 0"
            " || [...document.images].every(i => i.complete)"
        )
        page.wait_for_timeout(1500)  # the table draws on a canvas: let its pictures paint
        shoot(page, "deals")

        page.goto(f"{base}/price_history?search={guitars}&listing={busiest}")
        expect(page.get_by_test_id("stVegaLiteChart").locator(".marks").first).to_be_visible()  # Vega: svg or canvas
        expect(page.get_by_text("Market price (30-day rolling median)")).to_be_visible()
        page.wait_for_timeout(1000)
        shoot(page, "price-history")

        page.goto(f"{base}/operations")
        expect(page.get_by_text("Circuit breakers and pause switches")).to_be_visible()
        page.wait_for_timeout(1500)
        shoot(page, "operations")
        browser.close()
