"""Writes to the model layer, shared by the dashboard, the CLI and the worker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select, update

from models.schemas import SearchInput
from models.tables import Deal, Search, SearchStatus
from models.types import utcnow


class NotFound(LookupError):
    """The row asked for does not exist (any more)."""


def create_search(session: Session, data: SearchInput, *, now: datetime | None = None) -> Search:
    """Save a validated search; its first scan is due at once."""
    now = now or utcnow()
    search = Search(**data.model_dump(), next_scan_at=now, created_at=now, updated_at=now)
    session.add(search)
    session.flush()
    return search


def get_search(session: Session, search_id: int) -> Search:
    search = session.get(Search, search_id)
    if search is None:
        raise NotFound(f"search {search_id} does not exist")
    return search


def update_search(session: Session, search_id: int, data: SearchInput) -> Search:
    search = get_search(session, search_id)
    for field, value in data.model_dump().items():
        setattr(search, field, value)
    search.updated_at = utcnow()
    session.add(search)
    session.flush()
    return search


def set_search_status(session: Session, search_id: int, status: SearchStatus) -> Search:
    """Pause or resume; resuming makes the search due at once instead of waiting out its interval."""
    search = get_search(session, search_id)
    search.status = status
    now = utcnow()
    search.updated_at = now
    if status is SearchStatus.ACTIVE:
        search.next_scan_at = now
    session.add(search)
    session.flush()
    return search


def delete_search(session: Session, search_id: int) -> None:
    session.delete(get_search(session, search_id))
    session.flush()


def list_searches(session: Session) -> list[Search]:
    return list(session.exec(select(Search).order_by(col(Search.name), col(Search.id))))


def dismiss_deals(session: Session, deal_ids: Iterable[int]) -> int:
    """Hide deals from the Deals page; they stay stored, and are never alerted again."""
    return session.exec(update(Deal).where(col(Deal.id).in_(list(deal_ids))).values(dismissed=True)).rowcount
