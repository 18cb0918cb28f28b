"""The worker's consumer: how soon an idle worker notices work."""

from __future__ import annotations

from pathlib import Path

from models.settings import load_settings
from scanner.commands.worker import POLL_MAX_DELAY_SECONDS, create_consumer
from scanner.queue import make_huey


def test_an_idle_worker_looks_at_the_sqlite_queue_at_least_once_a_second(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, redis_url=None)
    consumer = create_consumer(make_huey(settings, name="polled"), 2, settings)
    assert consumer.max_delay == POLL_MAX_DELAY_SECONDS <= 1  # Huey's own backoff reaches 10 s
    assert consumer.default_delay <= POLL_MAX_DELAY_SECONDS
