"""The Searches page's buttons: pause/resume, delete with confirmation, and "Rescan now" from
click to queued, running and done — on Huey's SQLite storage and on Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import Huey
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dashboard import resources
from models.settings import get_settings, load_settings
from models.tables import Search, SearchStatus, TaskLog, TaskStatus
from models.types import utcnow
from scanner.api import open_queue
from tests.conftest import REDIS_TEST_URL, require_redis
from tests.dashboard.conftest import World, open_app, reset_app_caches, texts

DEAD_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on the port


def search_status(engine: Engine, search_id: int) -> SearchStatus | None:
    with Session(engine) as session:
        search = session.get(Search, search_id)
        return SearchStatus(search.status) if search else None


def test_pause_and_resume_change_the_search(app_world: World, app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    toggle = app.button(key=f"search.{app_world.strat_id}.toggle")
    assert toggle.label == "Pause"
    toggle.click().run()
    assert search_status(app_engine, app_world.strat_id) is SearchStatus.PAUSED
    assert app.button(key=f"search.{app_world.strat_id}.toggle").label == "Resume"
    assert "Paused" in texts(app, "markdown")
    app.button(key=f"search.{app_world.strat_id}.toggle").click().run()
    assert search_status(app_engine, app_world.strat_id) is SearchStatus.ACTIVE


def test_delete_asks_first_and_cancel_keeps_the_search(app_world: World, app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    app.button(key=f"search.{app_world.tele_id}.delete").click().run()
    assert search_status(app_engine, app_world.tele_id) is SearchStatus.ACTIVE
    assert any("Delete “Telecaster”?" in text for text in texts(app, "warning"))
    app.button(key=f"search.{app_world.tele_id}.cancel-delete").click().run()
    assert search_status(app_engine, app_world.tele_id) is SearchStatus.ACTIVE
    app.button(key=f"search.{app_world.tele_id}.delete").click().run()
    app.button(key=f"search.{app_world.tele_id}.confirm-delete").click().run()
    assert search_status(app_engine, app_world.tele_id) is None
    assert [metric.value for metric in app.metric] == ["2"]  # only the Strat's card is left


@pytest.fixture(params=["sqlite", "redis"])
def fresh_queue(
    request: pytest.FixtureRequest, app_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Huey]:
    """The app's queue, configured as an operator configures it (through the environment), on an
    empty storage of each backend; the test reads it through a queue of its own, opened as the
    app opens it (so that queued tasks decode)."""
    if request.param == "redis":
        require_redis()
        monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_app_caches()
    queue = open_queue(get_settings())
    queue.flush()
    yield queue
    queue.flush()


def log_scan(engine: Engine, task_id: str, search_id: int, status: TaskStatus, **values: object) -> None:
    with Session(engine) as session:
        row = session.exec(select(TaskLog).where(TaskLog.task_id == task_id)).first()
        row = row or TaskLog(
            task_name="scan_search",
            task_id=task_id,
            search_id=search_id,
            marketplace="demo",
            status=status,
            created_at=utcnow(),
        )
        row.status = status
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


def test_rescan_now_enqueues_one_scan_and_follows_it_to_done(
    app_world: World, app_engine: Engine, fresh_queue: Huey
) -> None:
    app = open_app("views/searches.py")
    app.button(key=f"rescan.{app_world.tele_id}.button").click().run()
    assert not app.exception
    assert fresh_queue.pending_count() == 1
    task = fresh_queue.dequeue()
    assert task is not None and task.name.endswith("scan_search") and task.args == (app_world.tele_id, False)
    assert app.session_state[f"rescan.{app_world.tele_id}"]["task_id"] == task.id
    assert "Queued: waiting for a worker…" in texts(app, "info")

    log_scan(app_engine, task.id, app_world.tele_id, TaskStatus.RUNNING)
    app.run()
    assert "Running: Demo market …" in texts(app, "info")

    log_scan(app_engine, task.id, app_world.tele_id, TaskStatus.SUCCESS, listings_found=7, listings_new=3)
    app.run()
    assert "Done: 7 listings found, 3 new" in texts(app, "success")
    assert fresh_queue.pending_count() == 0


def test_a_failed_rescan_shows_its_error(app_world: World, app_engine: Engine, fresh_queue: Huey) -> None:
    app = open_app("views/searches.py")
    app.button(key=f"rescan.{app_world.tele_id}.button").click().run()
    task_id = app.session_state[f"rescan.{app_world.tele_id}"]["task_id"]
    log_scan(
        app_engine,
        task_id,
        app_world.tele_id,
        TaskStatus.FAILED,
        error_class="timeout",
        error="read timed out after 20 s",
    )
    app.run()
    assert "Done: 0 listings found, 0 new · Demo market failed (timeout): read timed out after 20 s" in texts(
        app, "error"
    )


@pytest.fixture
def unreachable_queue(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app configured with a Redis that does not answer."""
    monkeypatch.setenv("REDIS_URL", DEAD_REDIS)
    reset_app_caches()


def test_a_down_queue_is_announced_on_every_page_and_the_button_cannot_enqueue(
    app_world: World, unreachable_queue: None
) -> None:
    for page in (None, "views/searches.py", "views/price_history.py", "views/operations.py"):
        app = open_app(page)
        assert not app.exception
        assert any("The queue is unreachable" in text for text in texts(app, "warning")), page
    button = open_app("views/searches.py").button(key=f"rescan.{app_world.strat_id}.button")
    assert button.label == "Cannot enqueue" and button.disabled


def test_when_enqueueing_fails_the_button_says_it_cannot_enqueue(
    app_world: World, fresh_queue: Huey, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = open_app("views/searches.py")  # the health check saw the queue up
    dead = open_queue(load_settings(data_dir=tmp_path, redis_url=DEAD_REDIS))
    monkeypatch.setattr(resources, "queue", lambda: dead)  # then Redis went away
    app.button(key=f"rescan.{app_world.strat_id}.button").click().run()
    assert not app.exception
    assert any(
        text.startswith("Cannot enqueue the scan: the queue is unreachable (ConnectionError")
        for text in texts(app, "error")
    )
