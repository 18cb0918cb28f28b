"""The dispatcher's tick: `scanner.tasks.dispatch_due_scans` as Huey runs it every minute, that is
claiming the due searches and enqueueing one scan task for each, on the real queue.

PostgreSQL with the Redis queue (production), and SQLite with Huey's SQLite queue (the embedded
default) at `sqlite_scale` of the searches. Before each tick the same searches are made due again
and the bench's own queue is emptied; each tick must claim and enqueue every one of them.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from bench import databases
from bench.data import search_rows
from bench.measure import Figure, Samples, Target
from bench.options import Options
from bench.queues import redis_queue
from models.settings import load_settings
from models.tables import Search
from models.types import utcnow
from scanner.queue import TaskQueue, Tasks, make_huey
from scanner.tasks import register_tasks

TARGET = Target(50, "lower")
OVERDUE = timedelta(seconds=30)


@contextmanager
def _sqlite_queue() -> Iterator[TaskQueue]:
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as folder:
        yield make_huey(load_settings(data_dir=folder, redis_url=None), name="bench-dispatch")


@contextmanager
def _dispatching_to(engine: Engine, queue: TaskQueue) -> Iterator[Tasks]:
    """The worker's tasks registered on the bench's queue, run on the bench's database."""
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as folder:
        url = engine.url.render_as_string(hide_password=False)
        yield register_tasks(queue, load_settings(data_dir=folder, database_url=url), engine)


def add_searches(engine: Engine, count: int, due_pct: int, now: datetime) -> list[int]:
    """`count` active searches, `due_pct` % of them due; returns the ids of the due ones."""
    rows = search_rows(count, now, live_paused=False, due_pct=due_pct)
    with engine.begin() as connection:
        connection.execute(insert(Search), rows)
        return list(connection.execute(select(Search.id).where(Search.next_scan_at <= now)).scalars())


def ticks(engine: Engine, tasks: Tasks, due: list[int], runs: int) -> Samples:
    """Milliseconds per tick over `runs` ticks after one unmeasured, each with `due` due again."""
    values = []
    for run in range(runs + 1):
        with engine.begin() as connection:
            connection.execute(update(Search).where(Search.id.in_(due)).values(next_scan_at=utcnow() - OVERDUE))
        tasks.queue.storage.flush_queue()
        started = time.perf_counter()
        claimed = tasks.dispatch_due_scans.call_local()
        elapsed = (time.perf_counter() - started) * 1000
        queued = tasks.queue.pending_count()
        if sorted(claimed) != sorted(due) or queued != len(due):
            raise AssertionError(f"bench.dispatch: claimed {len(claimed)}, queued {queued} of {len(due)}")
        if run:
            values.append(elapsed)
    return Samples(tuple(values), "ms", "lower")


def tick_figure(
    database: AbstractContextManager[Engine],
    queue: AbstractContextManager[TaskQueue],
    backend: str,
    searches: int,
    options: Options,
) -> Figure:
    with database as engine, queue as huey, _dispatching_to(engine, huey) as tasks:
        due = add_searches(engine, searches, options.dispatch_due_pct, utcnow())
        samples = ticks(engine, tasks, due, options.runs)
    how = f"{searches:,} active searches, {options.dispatch_due_pct} % due: claim + enqueue"
    return Figure("Dispatcher tick", backend, how, samples, TARGET, note=f"{len(due)} claimed and queued per tick")


def run(options: Options) -> list[Figure]:
    return [
        tick_figure(
            databases.postgres(options.postgres, "dispatch"),
            redis_queue(options.redis, f"bench-dispatch-{uuid.uuid4().hex[:8]}"),
            "PostgreSQL + Redis",
            options.dispatch_searches,
            options,
        ),
        tick_figure(
            databases.sqlite(),
            _sqlite_queue(),
            "SQLite + SQLite queue",
            options.scaled(options.dispatch_searches),
            options,
        ),
    ]
