"""Back up the database to one file and restore it: what `python -m scanner backup` and `restore` run.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot while
  the worker and the dashboard keep writing; the backup is a SQLite database file of its own
  (rollback journal, not WAL, so it is one self-contained file).
- PostgreSQL: `pg_dump --format=custom` (compressed, consistent, read back with `pg_restore`).
  The client tools must be on PATH, of the server's major version or newer; the password goes to
  them in PGPASSWORD, never on a command line other users can list.

A backup is written next to its destination and renamed into place, so an interrupted one never
replaces a good file. A restore refuses a database that holds any row unless forced: restoring
replaces everything in it. It brings back the schema of the backup; when that is older than
the code's, `python -m scanner migrate` brings it forward.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from models.db import create_db_engine
from models.migrate import current_revision

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
_VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    revision: str | None  # the schema (Alembic revision) the backup holds


def backup_database(database_url: str, path: Path) -> BackupFile:
    """Copy the database at `database_url` to `path` (replacing a file there once the copy is whole)."""
    url = make_url(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if url.get_backend_name() == "sqlite":
            revision = _sqlite_backup(_sqlite_file(url), partial)
        else:
            revision = _postgres_dump(url, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(path, path.stat().st_size, revision)


def restore_database(database_url: str, path: Path, *, force: bool = False) -> BackupFile:
    """Replace the database at `database_url` with the backup at `path`. Refuses, unless `force`,
    when the database holds any row."""
    url = make_url(database_url)
    sqlite = url.get_backend_name() == "sqlite"
    revision = _sqlite_revision(path) if sqlite else _dump_revision(path)
    engine = create_db_engine(database_url)
    try:
        rows = row_counts(engine)
    finally:
        engine.dispose()
    if rows and not force:
        listed = ", ".join(f"{table} {count}" for table, count in sorted(rows.items()))
        raise BackupError(
            f"the database holds {sum(rows.values())} rows ({listed}); restoring replaces them all. "
            "Back it up first (python -m scanner backup PATH), then restore with --force"
        )
    if sqlite:
        _sqlite_restore(path, _sqlite_file(url))
    else:
        _postgres_restore(url, path)
    return BackupFile(path, path.stat().st_size, revision)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table that has any (Alembic's own bookkeeping aside); empty for an empty database."""
    tables = [name for name in sa.inspect(engine).get_table_names() if name != _VERSION_TABLE]
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for name in tables:
            count = connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            if count:
                counts[name] = count
    return counts


def _kind(path: Path) -> str:
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump --format=custom file")


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(url.database)


def _sqlite_backup(source_file: Path, target: Path) -> str | None:
    if not source_file.is_file():
        raise BackupError(f"no SQLite database at {source_file}")
    source = sqlite3.connect(source_file)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _revision_in(copy)
    finally:
        copy.close()
        source.close()


def _sqlite_revision(path: Path) -> str | None:
    if _kind(path) != "sqlite":
        raise BackupError(f"{path} is a PostgreSQL dump: restore it into a PostgreSQL database")
    backup = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if _VERSION_TABLE not in tables:
            raise BackupError(f"{path} is a SQLite database without Deal Scout's schema ({_VERSION_TABLE} missing)")
        return _revision_in(backup)
    finally:
        backup.close()


def _revision_in(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute(f"SELECT version_num FROM {_VERSION_TABLE}").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _sqlite_restore(backup_file: Path, target_file: Path) -> None:
    target_file.parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(target_file)
    try:
        backup.backup(target)  # replaces every page of the target, under its write lock
    finally:
        target.close()
        backup.close()


def _client(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise BackupError(
            f"{tool} not found: install PostgreSQL's client tools of the server's major version or newer "
            "(Debian: apt-get install postgresql-client), or run it in the postgres container (docs/RUNBOOK.md)"
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment carrying it."""
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, environment


def _run(command: list[str], environment: dict[str, str]) -> str:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout


def _postgres_dump(url: URL, target: Path) -> str | None:
    pg_dump = _client("pg_dump")
    engine = create_db_engine(url.render_as_string(hide_password=False))
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    conninfo, environment = _libpq(url)
    _run([pg_dump, "--format=custom", f"--file={target}", f"--dbname={conninfo}"], environment)
    return revision


def _dump_revision(path: Path) -> str | None:
    if _kind(path) != "postgresql":
        raise BackupError(f"{path} is a SQLite database: restore it into SQLite")
    script = _run(
        [_client("pg_restore"), "--data-only", f"--table={_VERSION_TABLE}", "--file=-", str(path)], dict(os.environ)
    )
    found = re.search(rf"^COPY \S*{_VERSION_TABLE} .*?\n(\w+)\n", script, re.MULTILINE)
    if found is None:
        raise BackupError(f"{path} is a PostgreSQL dump without Deal Scout's schema ({_VERSION_TABLE} missing)")
    return found.group(1)


def _postgres_restore(url: URL, backup_file: Path) -> None:
    conninfo, environment = _libpq(url)
    _run(
        [
            _client("pg_restore"),
            "--clean",  # drop what the backup holds first: a migrated but empty database has the tables
            "--if-exists",
            "--no-owner",  # objects belong to whoever restores, whatever role made the backup
            "--no-privileges",
            "--single-transaction",  # all or nothing
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(backup_file),
        ],
        environment,
    )
