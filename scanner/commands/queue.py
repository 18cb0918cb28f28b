"""`queue status|purge|unlock`: look into the Huey queue and, in an emergency, empty it.

Emptying the queue is safe because nothing is *kept* there: schedules live in
`search.next_scan_at` and alerts in the `notification` outbox, so the next dispatch (every
minute) re-enqueues every due scan and `send_notifications` (every minute) picks up every
pending alert. What is lost: manual rescans asked for meanwhile and scheduled retries — the
next regular scan covers both.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Literal, TypedDict

from huey import Huey
from huey.api import Task

from models.health import queue_backend
from models.settings import get_settings
from scanner.commands import Commands, UsageError
from scanner.queue import lock_key
from scanner.table import print_table

PURGE_IS_SAFE = (
    "Safe: schedules live in the database (search.next_scan_at) and alerts in the notification outbox; "
    "the dispatcher re-enqueues every due scan within a minute and send_notifications runs every minute. "
    "Lost: rescans requested meanwhile and scheduled retries (the next regular scan covers them). "
    "Task locks are cleared too: do it with workers stopped or stuck."
)


def register(commands: Commands) -> None:
    parser = commands.add_parser("queue", help="queue depth, pending tasks and locks; purge or unlock")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(parser))

    status = actions.add_parser("status", help="how many tasks wait, which ones, and which locks are held")
    status.add_argument("--limit", type=int, default=20, help="pending and scheduled tasks to list (default 20)")
    status.add_argument("--json", action="store_true", help="print JSON instead of tables")
    status.set_defaults(handler=show_status)

    purge = actions.add_parser(
        "purge", help="delete every queued and scheduled task and every lock (asks first)", description=PURGE_IS_SAFE
    )
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.set_defaults(handler=purge_queue)

    unlock = actions.add_parser(
        "unlock",
        help="release task locks left by a worker that was killed mid-task",
        description="A lock outlives a worker killed with SIGKILL (OOM, docker kill): the dispatcher or "
        "a search then never runs again. `queue status` lists the held locks.",
    )
    unlock.add_argument("names", nargs="*", metavar="NAME", help="lock names as `queue status` shows them")
    unlock.add_argument("--all", action="store_true", help="release every held lock")
    unlock.set_defaults(handler=unlock_locks)


def _queue() -> Huey:
    from scanner.worker import Worker

    return Worker(get_settings()).queue  # with every task a worker runs: pending tasks decode only then


def held_locks(queue: Huey) -> list[str]:
    prefix = lock_key(queue, "")
    return sorted(key.removeprefix(prefix) for key in queue.all_results() if key.startswith(prefix))


class TaskRow(TypedDict):
    id: str
    task: str
    args: list[object]
    priority: int | None
    retries_left: int
    eta: str | None


TaskColumn = Literal["id", "task", "args", "priority", "retries_left", "eta"]
TASK_COLUMNS: tuple[TaskColumn, ...] = ("id", "task", "args", "priority", "retries_left", "eta")


class QueueStatus(TypedDict):
    backend: str
    pending_count: int
    scheduled_count: int
    pending: list[TaskRow]
    scheduled: list[TaskRow]
    locks: list[str]


def _task_row(task: Task) -> TaskRow:
    return {
        "id": task.id,
        "task": task.name,
        "args": list(task.args),
        "priority": task.priority,
        "retries_left": task.retries,
        "eta": task.eta.isoformat(timespec="seconds") if task.eta else None,
    }


def queue_status(queue: Huey, limit: int) -> QueueStatus:
    return {
        "backend": queue_backend(queue),
        "pending_count": queue.pending_count(),
        "scheduled_count": queue.scheduled_count(),
        "pending": [_task_row(task) for task in queue.pending(limit)],
        "scheduled": [_task_row(task) for task in queue.scheduled(limit)],
        "locks": held_locks(queue),
    }


def show_status(args: argparse.Namespace) -> int:
    status = queue_status(_queue(), args.limit)
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(f"queue ({status['backend']}): {status['pending_count']} pending, {status['scheduled_count']} scheduled")
    for kind, count, tasks in (
        ("pending", status["pending_count"], status["pending"]),
        ("scheduled", status["scheduled_count"], status["scheduled"]),
    ):
        rows = [[row[column] if row[column] is not None else "-" for column in TASK_COLUMNS] for row in tasks]
        print(f"\n{kind} (first {len(rows)} of {count}):" if rows else "")
        print_table(TASK_COLUMNS, rows, empty=f"no {kind} tasks")
    print("\nlocks:")
    print_table(["lock"], [[name] for name in status["locks"]], empty="no task locks held")
    return 0


def purge_queue(args: argparse.Namespace) -> int:
    queue = _queue()
    pending, scheduled = queue.pending_count(), queue.scheduled_count()
    print(f"about to delete {pending} pending and {scheduled} scheduled task(s) and every task lock.\n{PURGE_IS_SAFE}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to purge without confirmation: run it in a terminal or pass --yes")
        if input("type 'purge' to go on: ").strip() != "purge":
            print("nothing deleted")
            return 1
    queue.flush()
    print(f"purged {pending} pending and {scheduled} scheduled task(s); the next dispatch re-enqueues due scans")
    return 0


def unlock_locks(args: argparse.Namespace) -> int:
    queue = _queue()
    held = held_locks(queue)
    if args.all == bool(args.names):
        raise UsageError("name the locks to release or pass --all (not both)")
    unknown = sorted(set(args.names) - set(held))
    if unknown:
        raise UsageError(f"not held: {', '.join(unknown)} (held: {', '.join(held) or 'none'})")
    # Not huey.flush_locks(): given names, it also releases every lock this process has declared.
    released = [name for name in (held if args.all else args.names) if queue.delete(lock_key(queue, name))]
    print(f"released {len(released)} lock(s): {', '.join(released) or 'none'}")
    return 0
