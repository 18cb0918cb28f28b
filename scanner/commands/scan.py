"""`scan SEARCH_ID`: run one scan in the foreground and print a JSON summary."""

from __future__ import annotations

import argparse
import json
import uuid

from models import crud
from models.db import get_engine, session_scope
from models.settings import get_settings
from scanner.commands import Commands, UsageError
from scanner.scan import run_scan


def register(commands: Commands) -> None:
    parser = commands.add_parser("scan", help="scan one search now, in the foreground, and print a JSON summary")
    parser.add_argument("search_id", type=int)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = get_engine(settings)
    with session_scope(engine) as session:
        try:
            crud.get_search(session, args.search_id)
        except crud.NotFound as error:
            raise UsageError(str(error)) from None
    summary = run_scan(engine, settings, args.search_id, task_id=f"cli-{uuid.uuid4()}")
    print(
        json.dumps(
            {
                "search_id": summary.search_id,
                "task_id": summary.task_id,
                "found": summary.found,
                "new": summary.new,
                "price_changes": summary.price_changes,
                "ended": summary.ended,
                "deals": summary.deals,
                "skipped": summary.skipped,
                "errors": summary.errors,
            },
            indent=2,
        )
    )
    return 1 if summary.errors else 0
