"""The runbook commands, run as an operator would: `python -m scanner …` against a seeded
database (SQLite and PostgreSQL) and a queue of the test's own."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from huey import Huey
from sqlmodel import Session

from models.settings import Settings, load_settings
from models.tables import TaskLog, TaskStatus
from models.types import utcnow
from scanner import api
from scanner.commands.queue import held_locks
from scanner.queue import make_huey
from tests.cli import Cli

from .conftest import Seeded


def test_health_prints_the_health_json_and_exits_0(scanner: Cli, database_url: str, seeded: Seeded) -> None:
    result = scanner("health", "--detailed", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["status"], report["db"], report["queue_depth"]) == ("warning", "ok", 0)
    assert report["notifications"] == {"pending": 2, "sent": 1, "failed": 1}


def test_health_exits_1_when_the_database_is_down(scanner: Cli, closed_port: int) -> None:
    url = f"postgresql://scout:hunter2-secret@127.0.0.1:{closed_port}/scout"
    result = scanner("health", env={"DATABASE_URL": url})
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["status"], report["db"]) == ("unhealthy", "down")
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_tasks_failed_groups_the_last_hour_by_marketplace_and_error_class(
    scanner: Cli, database_url: str, seeded: Seeded
) -> None:
    result = scanner("tasks", "failed", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "last 1h: 3 failed of 7 finished scans (42.9%)"
    group_header = next(i for i, line in enumerate(lines) if line.startswith("MARKETPLACE  ERROR CLASS"))
    assert lines[group_header + 1].split()[:6] == ["ebay", "rate_limited", "2", "5", "min", "ago"]
    assert "HTTP 429 from api.ebay.com" in lines[group_header + 1]
    assert lines[group_header + 2].split()[:3] == ["craigslist", "markup_changed", "1"]
    assert "newest 3 failures:" in result.stdout


def test_tasks_failed_json_covers_a_wider_window(scanner: Cli, sqlite_database_url: str, seeded_sqlite: Seeded) -> None:
    result = scanner("tasks", "failed", "--hours", "4", "--json", env={"DATABASE_URL": sqlite_database_url})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(g["marketplace"], g["error_class"], g["count"]) for g in report["groups"]] == [
        ("ebay", "rate_limited", 2),
        ("craigslist", "markup_changed", 1),
        ("ebay", "timeout", 1),
    ]


def test_tasks_slow_lists_the_slowest_search_first(scanner: Cli, database_url: str, seeded: Seeded) -> None:
    result = scanner("tasks", "slow", "--hours", "1", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()[2:]
    assert rows[0].startswith("SEARCH  NAME")
    assert rows[1].split()[1:6] == ["Leica", "M6", "3", "6.0", "8.0"]
    assert rows[2].split()[1:6] == ["Fender", "Strat", "4", "1.2", "2.0"]


def test_a_non_positive_window_is_a_usage_error(scanner: Cli) -> None:
    result = scanner("tasks", "slow", "--hours", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --hours must be positive, not 0"


def _cli_settings(tmp_path: Path) -> Settings:
    """What the commands `scanner` runs read for their queue: SQLite storage in the test's data folder."""
    return load_settings(data_dir=tmp_path / "data", redis_url=None)


def _cli_queue(tmp_path: Path) -> Huey:
    """The queue the commands use, opened here too, to look at it without decoding tasks."""
    return make_huey(_cli_settings(tmp_path))


def test_queue_status_shows_a_pending_rescan_and_purge_empties_the_queue(
    scanner: Cli, sqlite_database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": sqlite_database_url}
    task_id = api.rescan(api.open_queue(_cli_settings(tmp_path)), 42)  # the dashboard's "Rescan now"

    status = scanner("queue", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("queue (sqlite): 1 pending, 0 scheduled")
    assert f"{task_id}  scan_search  [42, False]  100" in status.stdout

    purged = scanner("queue", "purge", "--yes", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "Safe: schedules live in the database" in purged.stdout
    assert "purged 1 pending and 0 scheduled task(s)" in purged.stdout
    assert _cli_queue(tmp_path).pending_count() == 0


def test_queue_unlock_releases_a_lock_left_by_a_killed_worker(
    scanner: Cli, sqlite_database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": sqlite_database_url}
    queue = _cli_queue(tmp_path)
    queue.lock_task("scan-search-12").__enter__()  # taken and never released: what SIGKILL leaves behind
    status = json.loads(scanner("queue", "status", "--json", env=env).stdout)
    assert status["locks"] == ["scan-search-12"]

    released = scanner("queue", "unlock", "scan-search-12", env=env)
    assert released.stdout.strip() == "released 1 lock(s): scan-search-12"
    assert held_locks(queue) == []


def test_prune_runs_housekeeping_now(scanner: Cli, database_url: str, seeded: Seeded, session: Session) -> None:
    session.add(TaskLog(task_name="scan_search", status=TaskStatus.SUCCESS, created_at=utcnow() - timedelta(days=40)))
    session.commit()
    result = scanner("prune", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "pruned 1 task log(s) older than 30 days, 0 sent notification(s) older than 90 days, "
        "0 stale worker heartbeat(s)"
    )


@pytest.mark.parametrize(
    "command",
    [
        ("health",),
        ("queue", "status"),
        ("queue", "purge"),
        ("queue", "unlock"),
        ("tasks", "failed"),
        ("tasks", "slow"),
        ("prune",),
        ("worker",),
    ],
)
def test_every_operations_command_has_help(command: tuple[str, ...], scanner: Cli) -> None:
    result = scanner(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m scanner")
