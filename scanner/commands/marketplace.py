"""`marketplace pause|resume|status`: the operator's switch per marketplace, for every search."""

from __future__ import annotations

import argparse
from datetime import datetime

from sqlmodel import select

from models import operations
from models.db import get_engine, session_scope
from models.formatting import error_label
from models.operations import MAX_PAUSE_REASON
from models.settings import get_settings
from models.tables import Marketplace, MarketplaceState
from models.types import utcnow
from scanner.commands import Commands, UsageError
from scanner.table import print_table

_NAMES = [m.value for m in Marketplace]


def register(commands: Commands) -> None:
    parser = commands.add_parser("marketplace", help="pause, resume or show marketplaces (breaker and pause state)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(parser))

    pause = actions.add_parser("pause", help="stop scanning a marketplace for every search")
    pause.add_argument("name", choices=_NAMES)
    pause.add_argument("--reason", required=True, help="shown in task logs and on the dashboard")
    pause.set_defaults(handler=pause_marketplace)

    resume = actions.add_parser("resume", help="scan a marketplace again (also closes its circuit breaker)")
    resume.add_argument("name", choices=_NAMES)
    resume.set_defaults(handler=resume_marketplace)

    status = actions.add_parser("status", help="pause and circuit-breaker state of every marketplace")
    status.set_defaults(handler=show_status)


def pause_marketplace(args: argparse.Namespace) -> int:
    reason = " ".join(args.reason.split())
    if not reason or len(reason) > MAX_PAUSE_REASON:
        raise UsageError(f"--reason needs between 1 and {MAX_PAUSE_REASON} characters, on one line")
    args.reason = reason
    with session_scope(get_engine(get_settings())) as session:
        operations.pause_marketplace(session, args.name, args.reason, utcnow())
    print(
        f"{args.name}: paused ({args.reason}); scans of it are logged as skipped until `marketplace resume {args.name}`"
    )
    return 0


def resume_marketplace(args: argparse.Namespace) -> int:
    with session_scope(get_engine(get_settings())) as session:
        operations.resume_marketplace(session, args.name, utcnow())
    print(f"{args.name}: resumed, circuit breaker closed")
    return 0


def show_status(_args: argparse.Namespace) -> int:
    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        states = {state.marketplace: state for state in session.exec(select(MarketplaceState))}

    def when(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"

    rows = []
    for name in _NAMES:
        state = states.get(name) or MarketplaceState(marketplace=name)
        rows.append(
            [
                name,
                f"paused: {state.pause_reason}" if state.paused else "active",
                state.breaker_state.value,
                state.consecutive_failures,
                when(state.open_until),
                when(state.last_success_at),
                error_label(state.last_error_class) or "-",
                "obeyed" if settings.obeys_robots_txt(name) else "ignored (ROBOTS_TXT_OBEY)",
                settings.proxy_for_display(name),
            ]
        )
    print_table(
        [
            "marketplace",
            "switch",
            "breaker",
            "failures",
            "open until",
            "last success",
            "last error",
            "robots.txt",
            "connects",
        ],
        rows,
        empty="",
    )
    return 0
