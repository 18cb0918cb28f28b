"""`backup PATH` and `restore PATH [--force]`: the whole database in one file and back.

SQLite is copied with its online backup API (safe while the worker runs), PostgreSQL with
`pg_dump --format=custom` and `pg_restore` (the client tools must be installed). A restore
refuses a database that holds data unless `--force`; stop the workers and the dashboard first.
The work is the core's (`models.backup`); this only reports it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from models.backup import BackupError, BackupFile, backup_database, restore_database
from models.migrate import alembic_config, head_revision
from models.settings import get_settings
from scanner.commands import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "backup", help="copy the database to a file (SQLite online backup API, PostgreSQL pg_dump -Fc)"
    )
    parser.add_argument("path", type=Path, help="the backup file to write (replaced once the copy is whole)")
    parser.set_defaults(handler=run_backup)

    parser = commands.add_parser(
        "restore", help="replace the database with a backup (stop the workers and the dashboard first)"
    )
    parser.add_argument("path", type=Path, help="a file written by `backup`")
    parser.add_argument("--force", action="store_true", help="replace a database that holds data")
    parser.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        backup = backup_database(settings.database_url, args.path)
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"backed up {settings.database_url_for_display()} (schema {backup.revision or 'none'}) "
        f"to {backup.path} ({backup.size:,} bytes)"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        backup = restore_database(settings.database_url, args.path, force=args.force)
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"restored {backup.path} into {settings.database_url_for_display()}: {_schema_note(backup)}")
    return 0


def _schema_note(backup: BackupFile) -> str:
    """Whether the restored schema is this release's, an older one `migrate` brings forward, or a
    newer one this release cannot run on."""
    head = head_revision()
    if backup.revision == head:
        return f"schema {head}, this release's"
    if backup.revision is None:
        return f"no schema recorded in it; run `python -m scanner migrate` to build {head}"
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(backup.revision)
    except CommandError:
        return f"schema {backup.revision} is newer than this release's {head}: run the release that made it"
    return f"schema {backup.revision}; run `python -m scanner migrate` to bring it to {head}"
