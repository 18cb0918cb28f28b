"""Scheduling lives in the database: the dispatcher claims due searches once, whatever the
number of workers; rescans overtake the sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from demo_market import DemoMarket
from models import crud
from models.schemas import SearchInput
from models.settings import Settings
from models.tables import Search, SearchStatus, TaskLog, TaskStatus
from models.types import utcnow
from scanner.scan import run_scan
from scanner.schedule import CLAIM_LEASE, DISPATCH_BATCH, SCAN_ABANDONED_AFTER, claim_due_searches, is_stale
from scanner.tasks import ScanLock
from scanner.worker import Worker


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


def test_due_searches_are_claimed_for_their_interval_or_the_lease(engine: Engine, scan_settings: Settings) -> None:
    short = add_searches(engine, 2, interval=5)
    long = add_searches(engine, 1, interval=60)
    later = add_searches(engine, 1, due=False)
    paused = add_searches(engine, 1)
    with Session(engine) as session:
        crud.set_search_status(session, paused[0], SearchStatus.PAUSED)
        session.commit()
        now = utcnow()
        assert sorted(claim_due_searches(session, now, 5)) == short + long
        session.commit()
        moved = dict(session.exec(select(Search.id, Search.next_scan_at).where(Search.id.in_(short + long))).all())
        for search_id in short:
            assert moved[search_id] == now + timedelta(minutes=5)
        assert moved[long[0]] == now + CLAIM_LEASE  # the scan itself sets the real next time
        assert claim_due_searches(session, now, 5) == []
    del later


def test_a_finished_scan_sets_the_next_one_a_full_interval_later(engine: Engine, scan_settings: Settings) -> None:
    [search_id] = add_searches(engine, 1, interval=60)
    started = utcnow()
    run_scan(engine, scan_settings, search_id, task_id="t1")
    with Session(engine) as session:
        search = session.get(Search, search_id)
        assert search.last_scanned_at >= started
        assert search.last_scanned_at + timedelta(minutes=60) <= search.next_scan_at
        assert search.next_scan_at <= search.last_scanned_at + timedelta(minutes=61)


def insert_due_searches(engine: Engine, count: int) -> list[int]:
    """Many due searches at once, each a second more overdue than the next (creating them one by
    one through the form's validation would take most of the test)."""
    now = utcnow()
    rows = [
        {
            "name": f"s{number}",
            "query": "guitar",
            "marketplaces": ["demo"],
            "next_scan_at": now - timedelta(seconds=number),
        }
        for number in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Search), rows)
        return list(connection.execute(select(Search.id).order_by(Search.id)).scalars())


def dispatch_concurrently(engine: Engine, dispatchers: int) -> list[list[int]]:
    """What each of `dispatchers` dispatchers, started at the same moment, claimed."""
    claimed: list[list[int]] = []
    barrier = threading.Barrier(dispatchers)

    def dispatcher() -> None:
        with Session(engine) as session:
            barrier.wait()
            claimed.append(claim_due_searches(session, utcnow(), 5))
            session.commit()

    threads = [threading.Thread(target=dispatcher) for _ in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claimed


def test_concurrent_dispatchers_claim_each_search_once(engine: Engine, scan_settings: Settings) -> None:
    due = add_searches(engine, 20)
    claimed = dispatch_concurrently(engine, 3)
    everything = [search_id for batch in claimed for search_id in batch]
    assert sorted(everything) == due


def test_concurrent_dispatchers_split_more_due_searches_than_one_batch(engine: Engine) -> None:
    due = insert_due_searches(engine, DISPATCH_BATCH * 2 + 100)
    claimed = dispatch_concurrently(engine, 4)
    everything = [search_id for batch in claimed for search_id in batch]
    assert sorted(everything) == due  # each exactly once, none left behind
    assert all(len(batch) <= DISPATCH_BATCH for batch in claimed)


def test_one_claim_takes_a_batch_of_the_most_overdue_searches(engine: Engine) -> None:
    due = insert_due_searches(engine, DISPATCH_BATCH + 2)  # the first ids are the least overdue
    with Session(engine) as session:
        assert claim_due_searches(session, utcnow(), 5) == due[2:]
        assert claim_due_searches(session, utcnow(), 5) == due[:2]


def test_every_consumer_running_the_tick_enqueues_each_due_search_once(
    engine: Engine, scan_settings: Settings, worker: Worker
) -> None:
    add_searches(engine, 4)
    for _consumer in range(3):  # Huey runs periodic tasks in every consumer
        worker.tasks.dispatch_due_scans.call_local()
    assert worker.queue.pending_count() == 4


def test_the_tick_queues_a_scan_task_for_each_claimed_search(
    engine: Engine, scan_settings: Settings, worker: Worker
) -> None:
    due = add_searches(engine, 3)
    claimed = worker.tasks.dispatch_due_scans.call_local()
    queued = [worker.queue.dequeue() for _ in due]
    assert claimed == due
    assert sorted(task.args[0] for task in queued) == due
    assert all(task.name == worker.tasks.scan_search.task_class.__name__ and task.args[1] is True for task in queued)
    assert worker.queue.dequeue() is None


def test_a_task_lost_with_the_queue_is_claimed_again_when_its_lease_runs_out(
    engine: Engine, scan_settings: Settings
) -> None:
    [search_id] = add_searches(engine, 1, interval=60)
    now = utcnow()
    with Session(engine) as session:
        assert claim_due_searches(session, now, 5) == [search_id]
        session.commit()
        # Redis lost the task: nothing scans, nothing moves the schedule on.
        assert claim_due_searches(session, now + CLAIM_LEASE - timedelta(seconds=1), 5) == []
        assert claim_due_searches(session, now + CLAIM_LEASE, 5) == [search_id]


def test_a_queued_scan_overtaken_by_a_newer_scan_is_skipped(
    engine: Engine, scan_settings: Settings, worker: Worker, market: DemoMarket
) -> None:
    [search_id] = add_searches(engine, 1)
    queued_at = utcnow()
    run_scan(engine, scan_settings, search_id, task_id="rescan")  # e.g. a "Rescan now" that ran first
    hits = market.hits("/search")
    result = worker.tasks.scan_search.call_local(search_id, True, queued_at)
    assert result == {"search_id": search_id, "skipped": "scanned since queued"}
    assert market.hits("/search") == hits


def test_a_retry_of_the_same_task_is_not_stale(engine: Engine, scan_settings: Settings) -> None:
    [search_id] = add_searches(engine, 1)
    queued_at = utcnow()
    run_scan(engine, scan_settings, search_id, task_id="task-1")
    with Session(engine) as session:
        assert is_stale(session, search_id, queued_at, "task-2")
        assert not is_stale(session, search_id, queued_at, "task-1")


def test_rescan_enqueues_one_task_ahead_of_the_sweep(engine: Engine, scan_settings: Settings, worker: Worker) -> None:
    first, second = add_searches(engine, 2)
    with Session(engine) as session:
        session.execute(update(Search).where(Search.id == second).values(next_scan_at=utcnow() + timedelta(hours=1)))
        session.commit()
    worker.tasks.dispatch_due_scans.call_local()
    task_id = worker.tasks.rescan(second)
    assert worker.queue.pending_count() == 2
    ahead = worker.queue.dequeue()
    assert ahead is not None and ahead.id == task_id and ahead.args[0] == second
    del first


def test_a_scan_lock_left_by_a_killed_worker_is_released(
    engine: Engine, scan_settings: Settings, worker: Worker
) -> None:
    [search_id] = add_searches(engine, 1)
    ScanLock(worker.queue, search_id).acquire(taken_at=utcnow() - SCAN_ABANDONED_AFTER)  # what SIGKILL leaves behind
    result = worker.tasks.scan_search.call_local(search_id)
    assert result["skipped"] == "released an abandoned lock; the next tick scans it"
    assert not ScanLock(worker.queue, search_id).is_locked()
    assert worker.tasks.scan_search.call_local(search_id)["found"] > 0


def test_an_old_scan_lock_of_a_still_running_scan_is_respected(
    engine: Engine, scan_settings: Settings, worker: Worker
) -> None:
    [search_id] = add_searches(engine, 1)
    with Session(engine) as session:
        session.add(
            TaskLog(task_name="scan_search", search_id=search_id, marketplace="demo", status=TaskStatus.RUNNING)
        )
        session.commit()
    ScanLock(worker.queue, search_id).acquire(taken_at=utcnow() - SCAN_ABANDONED_AFTER)
    assert worker.tasks.scan_search.call_local(search_id)["skipped"] == "already being scanned"
    assert ScanLock(worker.queue, search_id).is_locked()


def test_a_fresh_scan_lock_is_respected_before_its_scan_logs_anything(
    engine: Engine, scan_settings: Settings, worker: Worker
) -> None:
    [search_id] = add_searches(engine, 1)
    with ScanLock(worker.queue, search_id):
        assert worker.tasks.scan_search.call_local(search_id)["skipped"] == "already being scanned"
        assert ScanLock(worker.queue, search_id).is_locked()
