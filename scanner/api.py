"""What the dashboard may ask of the worker: the queue it consumes (for its depth and health)
and a scan ahead of the schedule. Importing this loads neither the scanner nor the alerts.
"""

from __future__ import annotations

from models.db import create_db_engine
from models.settings import Settings
from scanner.queue import TaskQueue, make_huey
from scanner.tasks import register_tasks

__all__ = ["TaskQueue", "open_queue", "rescan"]


def open_queue(settings: Settings) -> TaskQueue:
    """The worker's queue, with its tasks registered so that they can be enqueued (and queued
    ones decoded). They never run here, so their engine never connects."""
    queue = make_huey(settings)
    register_tasks(queue, settings, create_db_engine(settings.database_url))
    return queue


def rescan(queue: TaskQueue, search_id: int) -> str:
    """Enqueue a scan of the search ahead of the schedule; returns the task id its task-log rows
    carry. Raises whatever the queue raises when it cannot be reached."""
    return queue.tasks.rescan(search_id)
