"""The command line: one entry point, one clear line and exit code 2 for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from models.db import create_db_engine
from tests.cli import Cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scanner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


def test_python_m_scanner_runs_the_command_line_and_exits_with_its_code() -> None:
    """The one test that starts the real `python -m scanner`; every other runs `main` in process."""
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "frobnicate"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "python -m scanner: error: argument COMMAND: invalid choice: 'frobnicate'" in result.stderr


def test_migrate_builds_the_schema_and_is_idempotent(scanner: Cli, database_url: str) -> None:
    first = scanner("migrate", env={"DATABASE_URL": database_url})
    assert first.returncode == 0, first.stderr
    assert "migrated empty -> " in first.stdout
    second = scanner("migrate", env={"DATABASE_URL": database_url})
    assert second.returncode == 0, second.stderr
    assert "schema already at" in second.stdout
    engine = create_db_engine(database_url)
    assert "search" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrate_output_hides_the_database_password(scanner: Cli, postgres_database_url: str) -> None:
    url = postgres_database_url.replace("postgres@", "postgres:hunter2@", 1)
    result = scanner("migrate", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_unknown_command_is_one_line_and_exit_2(scanner: Cli) -> None:
    result = scanner("frobnicate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_bad_setting_stops_start_up_with_one_line(scanner: Cli) -> None:
    result = scanner("migrate", env={"SMTP_TLS": "maybe"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: Invalid setting SMTP_TLS: Input should be 'starttls', 'ssl' or 'none'"
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["migrate", "worker", "up"])
def test_every_command_has_help(scanner: Cli, command: str) -> None:
    result = scanner(command, "--help")
    assert result.returncode == 0
    assert "usage: python -m scanner" in result.stdout
