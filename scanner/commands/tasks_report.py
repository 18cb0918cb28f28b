"""`tasks failed|slow`: what the task log says went wrong, and which searches scan slowly.

Both read `task_log` (one row per search and marketplace per scan); `--json` prints the same
rows for scripts.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from models.db import get_engine
from models.formatting import ago
from models.queries import ops
from models.settings import get_settings
from models.types import utcnow
from scanner.commands import Commands, UsageError
from scanner.table import print_table

EXAMPLE_WIDTH = 70


def register(commands: Commands) -> None:
    parser = commands.add_parser("tasks", help="failed tasks by marketplace and error class; slow searches")
    reports = parser.add_subparsers(dest="report", required=True, metavar="REPORT", parser_class=type(parser))

    failed = reports.add_parser("failed", help="failed tasks grouped by marketplace and error class, newest failures")
    failed.add_argument("--hours", type=float, default=1.0, help="look back this many hours (default 1)")
    failed.add_argument("--recent", type=int, default=10, help="newest failures to list (default 10)")
    failed.add_argument("--json", action="store_true", help="print JSON instead of tables")
    failed.set_defaults(handler=show_failed)

    slow = reports.add_parser("slow", help="searches with the longest average scan time per marketplace")
    slow.add_argument("--hours", type=float, default=24.0, help="look back this many hours (default 24)")
    slow.add_argument("--limit", type=int, default=10, help="searches to list (default 10)")
    slow.add_argument("--json", action="store_true", help="print JSON instead of a table")
    slow.set_defaults(handler=show_slow)


def _since(hours: float) -> datetime:
    if hours <= 0:
        raise UsageError(f"--hours must be positive, not {hours:g}")
    return utcnow() - timedelta(hours=hours)


def _shorten(text: str | None, width: int = EXAMPLE_WIDTH) -> str:
    flat = " ".join((text or "-").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def show_failed(args: argparse.Namespace) -> int:
    since = _since(args.hours)
    now = utcnow()
    with Session(get_engine(get_settings())) as session:
        rates = ops.failure_rates(session, since)
        groups = ops.failures_by_marketplace_and_class(session, since)
        recent = ops.recent_failures(session, since=since, limit=args.recent)
    if args.json:
        _print_json(
            {
                "since": since,
                "marketplaces": [{**asdict(rate), "failure_rate": rate.failure_rate} for rate in rates],
                "groups": [asdict(group) for group in groups],
                "recent": [asdict(task) for task in recent],
            }
        )
        return 0
    runs, failures = sum(rate.runs for rate in rates), sum(rate.failures for rate in rates)
    share = f" ({failures / runs:.1%})" if runs else ""
    print(f"last {args.hours:g}h: {failures} failed of {runs} finished scans{share}\n")
    print_table(
        ["marketplace", "scans", "failed", "failure rate"],
        [[rate.marketplace, rate.runs, rate.failures, f"{rate.failure_rate:.1%}"] for rate in rates],
        empty="no scans finished in this window",
    )
    print()
    print_table(
        ["marketplace", "error class", "count", "last", "example"],
        [
            [
                group.marketplace or "-",
                group.error_class or "-",
                group.count,
                ago(group.last_at, now),
                _shorten(group.example),
            ]
            for group in groups
        ],
        empty="no failed tasks in this window",
    )
    if recent:
        print(f"\nnewest {len(recent)} failures:")
        print_table(
            ["when", "task", "search", "marketplace", "error class", "task id"],
            [
                [
                    ago(task.created_at, now),
                    task.task_name,
                    f"{task.search_id} {task.search_name or ''}".strip() if task.search_id else "-",
                    task.marketplace or "-",
                    task.error_class or "-",
                    task.task_id or "-",
                ]
                for task in recent
            ],
            empty="",
        )
    return 0


def show_slow(args: argparse.Namespace) -> int:
    since = _since(args.hours)
    now = utcnow()
    with Session(get_engine(get_settings())) as session:
        timings = ops.slow_searches(session, since, limit=args.limit)
    if args.json:
        _print_json({"since": since, "searches": [asdict(timing) for timing in timings]})
        return 0
    print(f"slowest searches, last {args.hours:g}h (seconds per marketplace scan):\n")
    print_table(
        ["search", "name", "scans", "avg s", "max s", "last scan"],
        [
            [
                timing.search_id,
                timing.name or "(deleted)",
                timing.scans,
                f"{timing.avg_seconds:.1f}",
                f"{timing.max_seconds:.1f}",
                ago(timing.last_at, now),
            ]
            for timing in timings
        ],
        empty="no finished scans in this window",
    )
    return 0
