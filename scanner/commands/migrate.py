"""`migrate`: bring the database schema up to date (safe to run again and again)."""

from __future__ import annotations

import argparse

from models.db import get_engine
from models.migrate import current_revision, upgrade
from models.settings import get_settings
from scanner.commands import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser("migrate", help="apply database migrations (idempotent)")
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.ensure_data_dir()
    engine = get_engine(settings)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    where = settings.database_url_for_display()
    if before == after:
        print(f"{where}: schema already at {after}")
    else:
        print(f"{where}: migrated {before or 'empty'} -> {after}")
    return 0
