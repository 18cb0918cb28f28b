"""The worker's process state, built in one place from its settings: its database engine, its
queue and the tasks registered on that queue. `python -m scanner worker` builds one around the
configured services; tests build theirs around a test database and queue.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from models.db import create_db_engine
from models.settings import Settings
from scanner.housekeeping import PruneOldRows, register_pruning
from scanner.http import Politeness
from scanner.queue import TaskQueue, Tasks, make_huey
from scanner.tasks import register_tasks


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        threads: int | None = None,
        engine: Engine | None = None,
        queue: TaskQueue | None = None,
    ) -> None:
        self.threads = threads or settings.worker_threads
        # a pooled connection per thread, or the threads beyond the pool keep reconnecting
        self.engine = engine or create_db_engine(settings.database_url, pool_size=max(5, self.threads + 1))
        self.queue = queue or make_huey(settings)
        # one rate limiter and robots.txt cache for every scan thread: a site sees one visitor
        self.politeness = Politeness.for_process(settings)
        self.tasks: Tasks = register_tasks(self.queue, settings, self.engine, self.politeness)
        # only the worker runs housekeeping; the dashboard's queue never needs to enqueue it
        self.prune_old_rows: PruneOldRows = register_pruning(self.queue, settings, self.engine)
