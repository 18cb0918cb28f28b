"""What `queue status` and `queue unlock` read and release, on Huey's SQLite storage and Redis."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta

import pytest
from huey import Huey

from scanner.commands import UsageError
from scanner.commands import queue as queue_command
from scanner.commands.queue import held_locks, queue_status
from scanner.queue import TaskQueue
from scanner.tasks import ScanLock


def test_status_lists_pending_and_scheduled_tasks_and_held_locks(queue: Huey) -> None:
    @queue.task()
    def scan(search_id: int) -> None: ...

    first = scan.s(1)
    queue.enqueue(first)
    retry = scan.s(2)
    retry.eta = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    queue.add_schedule(retry)  # where the consumer parks a retry until its delay is over
    queue.lock_task("scan-search-1").__enter__()  # taken and never released, as by a killed worker

    status = queue_status(queue, limit=10)
    assert (status["pending_count"], status["scheduled_count"]) == (1, 1)
    assert [(row["id"], row["task"], row["args"]) for row in status["pending"]] == [(first.id, "scan", [1])]
    assert status["scheduled"][0]["args"] == [2] and status["scheduled"][0]["eta"]
    assert status["locks"] == ["scan-search-1"]


def test_unlock_all_releases_only_locks(queue: Huey, monkeypatch: pytest.MonkeyPatch) -> None:
    @queue.task()
    def noop() -> None: ...

    noop()
    for name in ("dispatch-due-scans", "scan-search-7"):
        queue.lock_task(name).__enter__()
    monkeypatch.setattr(queue_command, "_queue", lambda: queue)

    assert queue_command.unlock_locks(argparse.Namespace(names=[], all=True)) == 0
    assert held_locks(queue) == []
    assert queue.pending_count() == 1  # the queued work stays


def test_a_scan_lock_is_listed_and_released_like_any_task_lock(
    queue: TaskQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    ScanLock(queue, 3).acquire()  # taken and never released, as by a killed worker
    assert held_locks(queue) == ["scan-search-3"] and queue.is_locked("scan-search-3")
    monkeypatch.setattr(queue_command, "_queue", lambda: queue)
    assert queue_command.unlock_locks(argparse.Namespace(names=["scan-search-3"], all=False)) == 0
    assert not ScanLock(queue, 3).is_locked()


def test_unlocking_a_lock_that_is_not_held_names_the_held_ones(queue: Huey, monkeypatch: pytest.MonkeyPatch) -> None:
    queue.lock_task("dispatch-due-scans").__enter__()
    monkeypatch.setattr(queue_command, "_queue", lambda: queue)
    with pytest.raises(UsageError, match=r"^not held: scan-search-1 \(held: dispatch-due-scans\)$"):
        queue_command.unlock_locks(argparse.Namespace(names=["scan-search-1"], all=False))
    assert held_locks(queue) == ["dispatch-due-scans"]


def test_purge_refuses_without_yes_when_no_person_can_confirm(queue: Huey, monkeypatch: pytest.MonkeyPatch) -> None:
    @queue.task()
    def noop() -> None: ...

    noop()
    monkeypatch.setattr(queue_command, "_queue", lambda: queue)
    monkeypatch.setattr("sys.stdin", io.StringIO("purge\n"))  # piped input is not a terminal
    with pytest.raises(UsageError, match="pass --yes"):
        queue_command.purge_queue(argparse.Namespace(yes=False))
    assert queue.pending_count() == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "left"), [("purge\n", 0, 0), ("no\n", 1, 1)])
def test_purge_at_a_terminal_asks_and_only_the_word_purge_goes_on(
    queue: Huey, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answer: str, code: int, left: int
) -> None:
    @queue.task()
    def noop() -> None: ...

    noop()
    monkeypatch.setattr(queue_command, "_queue", lambda: queue)
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    assert queue_command.purge_queue(argparse.Namespace(yes=False)) == code
    assert queue.pending_count() == left
    assert "type 'purge' to go on" in capsys.readouterr().out
