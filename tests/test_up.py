"""`python -m scanner up` (what `make run` runs): a fresh install migrates, saves the example
searches, scans the demo market within the first minute, and Ctrl-C stops every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import text

from models.db import create_db_engine
from tests.ops.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def _count(engine_url: str, table: str) -> int:
    engine = create_db_engine(engine_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    except Exception:  # noqa: BLE001  (not migrated yet)
        return 0
    finally:
        engine.dispose()


def test_a_fresh_install_fills_with_demo_listings_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/deal-scout.db"
    dashboard_port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": database,
        "DASHBOARD_PORT": str(dashboard_port),
        "DEMO_MARKET_URL": f"http://127.0.0.1:{free_port()}",
        "HEALTH_PORT": str(free_port()),
        "RATE_LIMIT_PER_MINUTE": "600",
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "scanner", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _count(database, "listing") == 0 or _count(database, "task_log") < 2:
            assert up.poll() is None, "up exited early"
            assert time.monotonic() < deadline, "no listings within a minute"
            time.sleep(0.5)
        assert _count(database, "search") == 2
        with urllib.request.urlopen(f"http://127.0.0.1:{dashboard_port}/_stcore/health", timeout=10) as response:
            assert response.status == 200
        children = [
            int(pid)
            for pid in subprocess.run(
                ["pgrep", "-P", str(up.pid)], capture_output=True, text=True, check=True
            ).stdout.split()
        ]
        assert len(children) == 3  # demo market, worker, dashboard
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=30)
    finally:
        up.kill()
    assert up.returncode == 0
    assert f"http://localhost:{dashboard_port}" in output
    assert "saved two example searches" in output
    assert not [pid for pid in children if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
