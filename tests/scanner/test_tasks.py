"""Scheduling lives in the database: the dispatcher claims due searches once, whatever the
number of workers; rescans overtake the sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

from huey import Huey
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import crud
from models.schemas import SearchInput
from models.settings import Settings
from models.tables import Search, SearchStatus
from models.types import utcnow
from scanner.tasks import claim_due_searches, dispatch_due_scans, rescan


def add_searches(engine: Engine, count: int, *, due: bool = True, interval: int = 15) -> list[int]:
    ids = []
    with Session(engine) as session:
        for number in range(count):
            data = {"name": f"s{number}", "query": "guitar", "marketplaces": ["demo"], "interval_minutes": interval}
            search = crud.create_search(session, SearchInput.parse(data, min_interval_minutes=1))
            if not due:
                search.next_scan_at = utcnow() + timedelta(minutes=10)
            ids.append(search.id)
        session.commit()
    return ids


def test_due_searches_are_claimed_and_moved_on_by_their_interval(engine: Engine, scan_settings: Settings) -> None:
    due = add_searches(engine, 3, interval=20)
    later = add_searches(engine, 1, due=False)
    paused = add_searches(engine, 1)
    with Session(engine) as session:
        crud.set_search_status(session, paused[0], SearchStatus.PAUSED)
        session.commit()
        now = utcnow()
        assert sorted(claim_due_searches(session, now)) == due
        session.commit()
        for search in session.exec(select(Search).where(Search.id.in_(due))):
            assert now + timedelta(minutes=20) <= search.next_scan_at <= now + timedelta(minutes=21)
        assert claim_due_searches(session, now) == []
    del later


def test_concurrent_dispatchers_claim_each_search_once(engine: Engine, scan_settings: Settings) -> None:
    due = add_searches(engine, 20)
    claimed: list[list[int]] = []
    barrier = threading.Barrier(3)

    def dispatcher() -> None:
        with Session(engine) as session:
            barrier.wait()
            claimed.append(claim_due_searches(session, utcnow()))
            session.commit()

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [search_id for batch in claimed for search_id in batch]
    assert sorted(everything) == due


def test_every_consumer_running_the_tick_enqueues_each_due_search_once(
    engine: Engine, scan_settings: Settings, worker_queue: Huey
) -> None:
    add_searches(engine, 4)
    for _consumer in range(3):  # Huey runs periodic tasks in every consumer
        dispatch_due_scans.call_local()
    assert worker_queue.pending_count() == 4


def test_a_lost_queue_is_refilled_when_the_searches_are_due_again(
    engine: Engine, scan_settings: Settings, worker_queue: Huey
) -> None:
    add_searches(engine, 2)
    dispatch_due_scans.call_local()
    worker_queue.flush()  # Redis lost its data
    with Session(engine) as session:
        session.execute(update(Search).values(next_scan_at=utcnow()))
        session.commit()
    dispatch_due_scans.call_local()
    assert worker_queue.pending_count() == 2


def test_rescan_enqueues_one_task_ahead_of_the_sweep(
    engine: Engine, scan_settings: Settings, worker_queue: Huey
) -> None:
    first, second = add_searches(engine, 2)
    with Session(engine) as session:
        session.execute(update(Search).where(Search.id == second).values(next_scan_at=utcnow() + timedelta(hours=1)))
        session.commit()
    dispatch_due_scans.call_local()
    task_id = rescan(second)
    assert worker_queue.pending_count() == 2
    ahead = worker_queue.dequeue()
    assert ahead is not None and ahead.id == task_id and ahead.args[0] == second
    del first
