"""`up`: the whole embedded stack in one terminal (what `make run` calls).

Migrates, then runs the worker and the dashboard as child processes and prints the URL.
Ctrl-C (or SIGTERM) stops them all: each child gets SIGINT (Huey finishes its running tasks,
Streamlit closes), and anything still alive after a grace period is terminated.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from models.settings import get_settings
from scanner.commands import migrate

GRACE_SECONDS = 15


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("up", help="migrate, then run worker and dashboard together (make run)")
    parser.set_defaults(handler=run)


def _children(port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "worker": [python, "-m", "scanner", "worker"],
        "dashboard": [
            python, "-m", "streamlit", "run", "dashboard/app.py",
            "--server.port", str(port), "--server.headless", "true",
        ],
    }


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> int:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"up: {name} did not stop in {GRACE_SECONDS}s, terminating", file=sys.stderr)
            process.terminate()
            process.wait()
    return max((abs(p.returncode or 0) for p in processes.values()), default=0)


def run(_args: argparse.Namespace) -> int:
    settings = get_settings()
    migrate.run(argparse.Namespace())
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def _on_term(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_term)
    try:
        # Children get their own process group so one Ctrl-C is delivered once, by us.
        for name, command in _children(settings.dashboard_port).items():
            processes[name] = subprocess.Popen(command, process_group=0, env=os.environ.copy())
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
