"""Every change the dashboard makes, each in its own transaction and followed by a cache refresh.

Searches are written through `models.crud`, marketplace switches and the outbox through
`models.operations`, and scans are enqueued through the worker's public `scanner.api`, so the
dashboard and the CLI change things the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from dashboard import data, resources
from models import crud, operations
from models.db import session_scope
from models.schemas import SearchInput
from models.tables import SearchStatus
from models.types import utcnow
from scanner.api import rescan as enqueue_rescan


def save_search(search_id: int | None, search: SearchInput) -> int:
    """Create (search_id None) or update a search; returns its id."""
    with session_scope(resources.engine()) as session:
        saved = (
            crud.create_search(session, search) if search_id is None else crud.update_search(session, search_id, search)
        )
        saved_id = saved.id or 0
    data.refresh()
    return saved_id


def set_search_status(search_id: int, status: SearchStatus) -> None:
    with session_scope(resources.engine()) as session:
        crud.set_search_status(session, search_id, status)
    data.refresh()


def delete_search(search_id: int) -> None:
    with session_scope(resources.engine()) as session:
        crud.delete_search(session, search_id)
    data.refresh()


def dismiss_deals(deal_ids: Iterable[int]) -> int:
    with session_scope(resources.engine()) as session:
        dismissed = crud.dismiss_deals(session, deal_ids)
    data.refresh()
    return dismissed


def rescan(search_id: int) -> str:
    """Enqueue a scan ahead of the schedule; returns the task id. Raises when the queue is down."""
    return enqueue_rescan(resources.queue(), search_id)


def pause_marketplace(marketplace: str, reason: str) -> None:
    with session_scope(resources.engine()) as session:
        operations.pause_marketplace(session, marketplace, reason, utcnow())
    data.refresh()


def resume_marketplace(marketplace: str) -> None:
    with session_scope(resources.engine()) as session:
        operations.resume_marketplace(session, marketplace, utcnow())
    data.refresh()


def retry_failed_notifications() -> int:
    """Put failed alerts back to pending with fresh attempts; returns how many."""
    count = operations.requeue_failed_alerts(resources.engine())
    data.refresh()
    return count
