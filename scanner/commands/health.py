"""`health [--detailed]`: the JSON `GET /health` serves, from wherever you are; exit 1 when
unhealthy (database or queue down), 0 otherwise — warnings are listed but do not fail it."""

from __future__ import annotations

import argparse
import json

from models.db import get_engine
from models.settings import get_settings
from scanner.commands import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser("health", help="check database, Redis, queue, workers and SMTP; exit 1 if unhealthy")
    parser.add_argument(
        "--detailed",
        action="store_true",
        help="add per-marketplace breaker and failure rate, alert outbox, workers, and an SMTP probe",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from models.health import HealthChecker, is_healthy
    from scanner.queue import make_huey

    settings = get_settings()
    report = HealthChecker(settings, get_engine(settings), make_huey(settings)).check(detailed=args.detailed)
    print(json.dumps(report, indent=2))
    return 0 if is_healthy(report) else 1
