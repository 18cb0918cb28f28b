"""A per-site request rate shared by every worker thread and process.

A site is a host name: the `jsonld` adapter visits many shops, and each gets its own budget.
Requests are spaced evenly (at most `RATE_LIMIT_PER_MINUTE` per site): each caller
reserves the next free slot and sleeps until it. With Redis the slot counter lives in Redis,
so all worker processes on all machines share it; without Redis (the embedded install has one
worker process) it lives in the process.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis

from models.settings import Settings
from models.tables import ErrorClass
from scanner.errors import ScanError

MAX_WAIT_SECONDS = 120.0

# Reserve the next slot atomically: slot = max(now, next_free); next_free = slot + interval.
# Refuses (returns -1) when the wait would exceed the maximum, without reserving anything.
_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_free)
if slot - now > max_wait then return '-1' end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil((slot - now + interval) * 1000) + 1000)
return tostring(slot - now)
"""


class RateLimiter(Protocol):
    def acquire(self, site: str) -> None:
        """Block until this site (a host name) may be sent one more request."""


def _wait_or_refuse(site: str, wait: float) -> None:
    if wait < 0:
        raise ScanError(
            ErrorClass.RATE_LIMITED,
            f"our own rate limit for {site} is booked for more than {MAX_WAIT_SECONDS:.0f}s",
            retry_after=MAX_WAIT_SECONDS,
        )
    if wait > 0:
        time.sleep(wait)


class LocalRateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute
        self._next_free: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, site: str) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_free.get(site, 0.0))
            wait = slot - now
            if wait <= MAX_WAIT_SECONDS:
                self._next_free[site] = slot + self.interval
        _wait_or_refuse(site, wait if wait <= MAX_WAIT_SECONDS else -1.0)


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, per_minute: int, prefix: str = "deal-scout:rate") -> None:
        self.interval = 60.0 / per_minute
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._client = client

    def acquire(self, site: str) -> None:
        now = self._client.time()
        wall = now[0] + now[1] / 1_000_000  # Redis' clock: the same for every worker machine
        wait = float(self._reserve(keys=[f"{self.prefix}:{site}"], args=[wall, self.interval, MAX_WAIT_SECONDS]))
        _wait_or_refuse(site, wait)


def make_rate_limiter(settings: Settings) -> RateLimiter:
    """A limiter shared through Redis when Redis is configured, else one that limits only the
    scans that share it: the worker builds one and hands it to every scan thread."""
    if settings.redis_url:
        return RedisRateLimiter(redis.Redis.from_url(settings.redis_url), settings.rate_limit_per_minute)
    return LocalRateLimiter(settings.rate_limit_per_minute)
