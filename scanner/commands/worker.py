"""`worker`: run the Huey consumer with thread workers (scale out with more processes)."""

from __future__ import annotations

import argparse
import logging

from models.settings import get_settings


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("worker", help="run the background worker (Huey consumer)")
    parser.add_argument("--threads", type=int, help="worker threads (default: WORKER_THREADS)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from scanner.queue import huey

    consumer = huey.create_consumer(workers=args.threads or settings.worker_threads, worker_type="thread")
    consumer.run()
    return 0
