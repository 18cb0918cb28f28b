"""`prune`: run the hourly housekeeping now (e.g. when the disk is filling up).

Deletes task logs older than TASK_LOG_RETENTION_DAYS, sent alerts older than
NOTIFICATION_RETENTION_DAYS and heartbeats of workers gone for a day; never listings, prices
or deals. Safe to repeat.
"""

from __future__ import annotations

import argparse

from models.db import get_engine
from models.settings import get_settings
from scanner.commands import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser("prune", help="delete task logs, sent alerts and heartbeats past their retention now")
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace) -> int:
    from scanner.housekeeping import prune

    settings = get_settings()
    pruned = prune(get_engine(settings), settings)
    print(
        f"pruned {pruned.task_logs} task log(s) older than {settings.task_log_retention_days} days, "
        f"{pruned.notifications} sent notification(s) older than {settings.notification_retention_days} days, "
        f"{pruned.heartbeats} stale worker heartbeat(s)"
    )
    return 0
