"""`notify [--retry-failed]`: send pending deal alerts now and say what happened.

"Now" means every pending alert, also those waiting out their backoff after an SMTP error: the
operator who runs it has usually just fixed the cause.

Exit 0 when nothing failed, 1 when some alerts could not be sent (they stay pending or failed,
with the reason stored), 2 when SMTP is not configured.
"""

from __future__ import annotations

import argparse

from models.db import get_engine
from models.operations import requeue_failed_alerts
from models.settings import get_settings
from scanner.alerts import deliver_pending
from scanner.commands import Commands, UsageError


def register(commands: Commands) -> None:
    parser = commands.add_parser("notify", help="send pending deal alerts now")
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="first put alerts that failed for good back to pending (attempts reset)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = get_engine(settings)
    if args.retry_failed and settings.smtp_configured:
        print(f"failed notifications requeued: {requeue_failed_alerts(engine)}")
    report = deliver_pending(engine, settings, due_only=False)
    if not report.smtp_configured:
        raise UsageError(report.summary())
    print(report.summary())
    return 1 if report.deferred or report.failed else 0
