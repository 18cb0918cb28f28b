"""`worker`: run the Huey consumer with thread workers (scale out with more processes).

SIGTERM (what `docker compose stop` and `make run`'s Ctrl-C send) is a graceful stop: running
tasks finish, and any still running after WORKER_SHUTDOWN_TIMEOUT_SECONDS are handed back to
the queue (see `scanner.tasks.hand_back_interrupted`); their transactions never commit, so
nothing is stored half-way. Next to the consumer the process runs a heartbeat thread (its `worker_heartbeat` row) and an
HTTP server on HEALTH_PORT for `/health`, `/health/detailed` and `/metrics`. When that port is
taken (several workers on one machine) the worker logs it and runs on without the server.
"""

from __future__ import annotations

import argparse
import logging

from models.db import get_engine
from models.settings import get_settings
from scanner.logs import configure_logging

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("worker", help="run the background worker (Huey consumer, health and metrics)")
    parser.add_argument("--threads", type=int, help="worker threads (default: WORKER_THREADS)")
    parser.add_argument(
        "--health-port", type=int, help="port for /health and /metrics (default: HEALTH_PORT)"
    )
    parser.set_defaults(handler=run)


def load_tasks() -> None:
    """Import every module that defines tasks, so the consumer (and `queue status`) knows them."""
    import scanner.housekeeping  # noqa: F401
    import scanner.tasks  # noqa: F401


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings)
    from scanner.health import HealthChecker, Heartbeat, serve_health
    from scanner.queue import huey

    load_tasks()
    threads = args.threads or settings.worker_threads
    engine = get_engine(settings)
    heartbeat = Heartbeat(engine, threads)
    heartbeat.start()
    server = serve_health(HealthChecker(settings, engine, huey), args.health_port or settings.health_port)
    consumer = huey.create_consumer(
        workers=threads,
        worker_type="thread",
        graceful_signal="TERM",
        shutdown_timeout=settings.worker_shutdown_timeout_seconds,
    )
    try:
        consumer.run()
    finally:
        if server is not None:
            server.shutdown()
        heartbeat.stop()
    return 0
