"""`up`: the whole embedded stack in one terminal (what `make run` calls).

Migrates; on an empty database saves two example searches on the demo marketplace; then runs
the demo market (when DEMO_MARKET_URL is local), the worker and the dashboard as child
processes and prints the URL. Ctrl-C (or SIGTERM) stops them all: each child gets SIGTERM
(the worker finishes or hands back its running tasks, Streamlit closes), and anything still
alive after a grace period is killed.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from decimal import Decimal
from types import FrameType
from urllib.parse import urlsplit

from models import crud
from models.db import get_engine, session_scope
from models.schemas import SearchInput
from models.settings import Settings, get_settings
from scanner.commands import Commands, migrate

GRACE_SECONDS = 15


def register(commands: Commands) -> None:
    parser = commands.add_parser("up", help="migrate, then run worker and dashboard together (make run)")
    parser.set_defaults(handler=run)


EXAMPLE_SEARCHES = (
    {
        "name": "Fender Stratocaster under $550 (demo)",
        "query": "stratocaster",
        "marketplaces": ["demo"],
        "target_price": Decimal("550"),
        "market_discount_pct": Decimal("20"),
        "price_drop_pct": Decimal("10"),
    },
    {
        "name": "Fujifilm X100V well under market (demo)",
        "query": "x100v",
        "marketplaces": ["demo"],
        "market_discount_pct": Decimal("25"),
        "price_drop_pct": Decimal("10"),
        "alert_new_listings": True,
    },
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _children(settings: Settings) -> dict[str, list[str]]:
    python = sys.executable
    children = {
        "worker": [python, "-m", "scanner", "worker"],
        "dashboard": [
            python,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.port",
            str(settings.dashboard_port),
            "--server.address",
            settings.dashboard_bind,
            "--server.headless",
            "true",
        ],
    }
    if urlsplit(settings.demo_market_url).hostname in LOCAL_HOSTS:
        children = {"demo-market": [python, "-m", "scanner", "demo-market"], **children}
    return children


def seed_examples(settings: Settings) -> int:
    """Save the example searches when there are no searches at all; returns how many were saved."""
    with session_scope(get_engine(settings)) as session:
        if crud.list_searches(session):
            return 0
        for example in EXAMPLE_SEARCHES:
            data = {**example, "interval_minutes": max(settings.min_scan_interval_minutes, 5)}
            crud.create_search(
                session, SearchInput.parse(data, min_interval_minutes=settings.min_scan_interval_minutes)
            )
    return len(EXAMPLE_SEARCHES)


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> int:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"up: {name} did not stop in {GRACE_SECONDS}s, killing it", file=sys.stderr)
            process.kill()
            process.wait()
    return max((abs(p.returncode or 0) for p in processes.values()), default=0)


def run(_args: argparse.Namespace) -> int:
    settings = get_settings()
    migrate.run(argparse.Namespace())
    if seed_examples(settings):
        print("up: saved two example searches on the demo marketplace (first scans within a minute)")
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def _on_term(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Set both explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    try:
        # Children get their own process group so one Ctrl-C is delivered once, by us.
        for name, command in _children(settings).items():
            processes[name] = subprocess.Popen(command, process_group=0)
        print(f"\n  Deal Scout is running: http://localhost:{settings.dashboard_port}\n  Ctrl-C stops everything.\n")
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"up: {name} exited with code {process.returncode}; stopping", file=sys.stderr)
                    return _stop(processes) or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nup: stopping…")
        _stop(processes)
        return 0
