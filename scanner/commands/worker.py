"""`worker`: run the Huey consumer with thread workers (scale out with more processes).

SIGTERM (what `docker compose stop` and `make run`'s Ctrl-C send) is a graceful stop: running
tasks finish, and any still running after WORKER_SHUTDOWN_TIMEOUT_SECONDS are handed back to
the queue (see `hand_back_interrupted` in `scanner.tasks`); their transactions never commit, so
nothing is stored half-way. Next to the consumer the process runs a heartbeat thread (its `worker_heartbeat` row) and an
HTTP server on HEALTH_PORT for `/health`, `/health/detailed` and `/metrics`. When that port is
taken (several workers on one machine) the worker logs it and runs on without the server.

Threads wait for work on Redis with a blocking read, so an enqueued "Rescan now" starts at once.
The SQLite queue cannot block and is polled: at most `POLL_MAX_DELAY_SECONDS` apart when idle.
"""

from __future__ import annotations

import argparse
import logging
from functools import partial

from huey import Huey
from huey.consumer import Consumer

from models.settings import Settings, get_settings
from scanner.commands import Commands
from scanner.logs import configure_logging

log = logging.getLogger(__name__)

# Huey backs off to one look at an idle polled queue every 10 s: a rescan (and its alert) then
# waited up to 10 s before a thread noticed it. One look a second per thread is cheap for a file.
POLL_MAX_DELAY_SECONDS = 1.0


def register(commands: Commands) -> None:
    parser = commands.add_parser("worker", help="run the background worker (Huey consumer, health and metrics)")
    parser.add_argument("--threads", type=int, help="worker threads (default: WORKER_THREADS)")
    parser.add_argument("--health-port", type=int, help="port for /health and /metrics (default: HEALTH_PORT)")
    parser.set_defaults(handler=run)


def create_consumer(queue: Huey, threads: int, settings: Settings) -> Consumer:
    """The consumer `worker` runs. A blocking queue (Redis) keeps Huey's own backoff, which then
    only paces reconnection attempts (and their log lines) while Redis is unreachable."""
    consumer = partial(
        queue.create_consumer,
        workers=threads,
        worker_type="thread",
        graceful_signal="TERM",
        shutdown_timeout=settings.worker_shutdown_timeout_seconds,
    )
    return consumer() if queue.storage.blocking else consumer(max_delay=POLL_MAX_DELAY_SECONDS)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings)
    from models.health import HealthChecker
    from scanner.health_server import serve_health
    from scanner.heartbeat import Heartbeat
    from scanner.worker import Worker

    worker = Worker(settings, threads=args.threads)
    heartbeat = Heartbeat(worker.engine, worker.threads)
    heartbeat.start()
    server = serve_health(
        HealthChecker(settings, worker.engine, worker.queue), args.health_port or settings.health_port
    )
    consumer = create_consumer(worker.queue, worker.threads, settings)
    try:
        consumer.run()
    finally:
        if server is not None:
            server.shutdown()
        heartbeat.stop()
    return 0
