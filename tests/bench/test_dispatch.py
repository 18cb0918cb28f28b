"""The dispatcher-tick figure at tiny sizes: every tick claims and queues each due search on the
real queues, and the bench's queues are emptied afterwards."""

from __future__ import annotations

import redis

from bench import dispatch
from bench.options import Options
from tests.conftest import POSTGRES_ADMIN_URL, REDIS_TEST_URL, require_postgres, require_redis

TINY = Options(
    postgres=POSTGRES_ADMIN_URL,
    redis=REDIS_TEST_URL,
    runs=3,
    sqlite_scale=0.5,
    dispatch_searches=80,
    dispatch_due_pct=25,
)


def test_each_tick_claims_and_queues_every_due_search_then_the_queues_are_emptied() -> None:
    require_postgres()
    require_redis()
    production, embedded = dispatch.run(TINY)
    assert (production.backend, embedded.backend) == ("PostgreSQL + Redis", "SQLite + SQLite queue")
    assert production.note == "20 claimed and queued per tick" and embedded.note == "10 claimed and queued per tick"
    assert all(
        len(figure.samples.values) == TINY.runs and figure.target == dispatch.TARGET
        for figure in (production, embedded)
    )
    assert not redis.Redis.from_url(REDIS_TEST_URL).keys("huey.*bench-dispatch*")
