"""The per-marketplace rate limit spaces requests evenly, in-process and shared through Redis."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter

from ..conftest import REDIS_TEST_URL, require_redis


def _limiter(kind: str, per_minute: int) -> RateLimiter:
    if kind == "local":
        return LocalRateLimiter(per_minute)
    require_redis()
    return RedisRateLimiter(redis.Redis.from_url(REDIS_TEST_URL), per_minute, prefix=f"test-rate-{uuid.uuid4().hex}")


@pytest.mark.parametrize("kind", ["local", "redis"])
def test_requests_are_spaced_by_the_interval(kind: str) -> None:
    limiter = _limiter(kind, per_minute=600)  # one every 0.1 s
    started = time.monotonic()
    for _ in range(4):
        limiter.acquire("demo")
    assert time.monotonic() - started >= 0.29


@pytest.mark.parametrize("kind", ["local", "redis"])
def test_marketplaces_do_not_share_a_budget(kind: str) -> None:
    limiter = _limiter(kind, per_minute=60)
    started = time.monotonic()
    limiter.acquire("demo")
    limiter.acquire("ebay")
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("kind", ["local", "redis"])
def test_threads_share_one_budget(kind: str) -> None:
    limiter = _limiter(kind, per_minute=1200)  # one every 0.05 s
    started = time.monotonic()
    threads = [threading.Thread(target=limiter.acquire, args=("demo",)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 0.24


def test_two_workers_on_redis_share_one_budget() -> None:
    require_redis()
    prefix = f"test-rate-{uuid.uuid4().hex}"
    first = RedisRateLimiter(redis.Redis.from_url(REDIS_TEST_URL), 600, prefix=prefix)
    second = RedisRateLimiter(redis.Redis.from_url(REDIS_TEST_URL), 600, prefix=prefix)
    started = time.monotonic()
    for limiter in (first, second, first, second):
        limiter.acquire("demo")
    assert time.monotonic() - started >= 0.29


def test_a_wait_beyond_the_maximum_is_refused_as_rate_limited() -> None:
    limiter = LocalRateLimiter(per_minute=1)  # one a minute: the third request would wait 120 s
    limiter.acquire("demo")
    limiter._next_free["demo"] += 200  # noqa: SLF001  (book the budget far ahead)
    with pytest.raises(ScanError) as caught:
        limiter.acquire("demo")
    assert caught.value.error_class is ErrorClass.RATE_LIMITED
