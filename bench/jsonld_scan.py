"""A whole `jsonld` scan (fetch, parse, store): the process's CPU per watched product page, and
its peak memory.

A shop on loopback serves `PAGES` (200) distinct product pages of 64 KB (`bench.shop_pages`:
header and mega menu, inline CSS and scripts, JSON-LD, microdata, OpenGraph, carousel, footer)
and a robots.txt, from a `ThreadingHTTPServer` in a process of its own, so that its CPU is not
counted. Each round is a fresh process, as a worker is: a fresh embedded SQLite database (migrated
as production is), one watch (`jsonld` search) per page, and `THREADS` (4) threads that scan each
watch once through the worker's own scan path (`scanner.scan.run_scan` with the process's shared
`Politeness`: robots.txt, the rate limiter, one HTTP session per thread): the polite client fetches
the page, the adapter parses it, the pipeline stores the listing, the task log records the scan.
The worker's settings, as the other worker figures set them: a rate limit that never makes a
thread wait (`RATE_LIMIT_PER_MINUTE` 1,000,000; the shop is ours) but is still taken for every
request, robots.txt obeyed (fetched once per process and shop, then cached, as in a worker), the
worker's logging (INFO, to a file) and private addresses allowed (the shop is on 127.0.0.1).
`WARMUP` (8) further watches are scanned first and not measured: imports, the first connections,
robots.txt, SQLAlchemy's statement cache.

Measured per round: the round process's CPU time (user + system of all its threads:
`time.process_time()`) over the 200 scans, per scan, and the share of it spent in
`JsonLdAdapter.parse` (each scan thread's own CPU time there, added up); and the process's peak
resident set (`ru_maxrss`), interpreter and imports included. `ROUNDS` (5) rounds give the median
and p95. Not in the figure: DNS (the URLs name an IP address, and with private addresses allowed
the adapter resolves nothing) and TLS (the shop speaks plain HTTP).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.measure import Figure, Samples, Target, format_number
from bench.options import Options
from bench.shop_pages import Shop, product, product_page

PAGES = 200
WARMUP = 8
THREADS = 4
ROUNDS = 5
RELATED = 8  # products in each page's carousel
TARGET = Target(15, "lower")  # ms of CPU per page, the whole scan
ROBOTS_TXT = b"User-agent: *\nDisallow: /cart\nDisallow: /checkout\nDisallow: /account\nDisallow: /search\n"


def run(options: Options) -> list[Figure]:
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as a worker process is
    with shop(PAGES + WARMUP) as (origin, page_kb):
        rounds = []
        for _ in range(ROUNDS):
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                rounds.append(pool.submit(scan_round, origin, PAGES, WARMUP, THREADS).result())
    cpu = Samples(tuple(r.cpu_ms_per_scan for r in rounds), "ms CPU/page", "lower")
    parse = Samples(tuple(r.parse_ms_per_scan for r in rounds), "ms CPU/page", "lower")
    memory = Samples(tuple(r.peak_rss_mb for r in rounds), "MB", "lower")
    how = (
        f"{PAGES} watches of distinct product pages of {page_kb:.0f} KB (loopback shop, own process), "
        f"fresh SQLite database, each scanned once by {THREADS} threads through `run_scan` "
        f"(polite client, parse, store); {ROUNDS} rounds, each a fresh process, {WARMUP} warm-up scans first"
    )
    wall = Samples(tuple(r.scans_per_second for r in rounds), "scans/s", "higher")
    return [
        Figure(
            name=f"jsonld scan CPU, {THREADS} threads",
            backend="SQLite",
            how=how,
            samples=cpu,
            target=TARGET,
            note=(
                f"the scanning process's CPU, all its threads (not the shop's), of which parsing "
                f"{format_number(parse.median)} ms ({format_number(parse.median * 100 / page_kb)} ms per 100 KB); "
                f"{format_number(wall.median)} scans/s"
            ),
        ),
        Figure(
            name=f"jsonld scan peak RSS, {THREADS} threads",
            backend="SQLite",
            how="the same rounds: ru_maxrss of the scanning process, interpreter and imports included",
            samples=memory,
            note=f"{rounds[0].listings} listings stored per round ({WARMUP} by the warm-up scans)",
        ),
    ]


# -- the shop ------------------------------------------------------------------------------------


def page_path(number: int) -> str:
    return f"/products/{product(number).slug}"


@contextmanager
def shop(count: int) -> Iterator[tuple[str, float]]:
    """The shop's origin (`http://127.0.0.1:PORT`) and the mean size of its pages in KB, while it
    serves products 0 … count-1."""
    spawn = multiprocessing.get_context("spawn")
    receiving, sending = spawn.Pipe(duplex=False)
    server = spawn.Process(target=serve, args=(count, sending), daemon=True)
    server.start()
    try:
        if not receiving.poll(120):
            raise TimeoutError("the bench shop did not start within 120 s")
        started = receiving.recv()
        if isinstance(started, BaseException):
            raise started
        origin, page_kb = started
        yield str(origin), float(page_kb)
    finally:
        server.terminate()
        server.join(10)


def serve(count: int, report: Connection) -> None:
    """The shop process: render the pages, then serve them (HTTP/1.1, kept alive) until terminated."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        listed = [product(number) for number in range(count)]
        pages = {
            page_path(item.number): product_page(
                item, Shop(origin=origin), [listed[(item.number + step * 13) % count] for step in range(1, RELATED + 1)]
            ).encode()
            for item in listed
        }
        page_kb = sum(map(len, pages.values())) / len(pages) / 1024
        pages["/robots.txt"] = ROBOTS_TXT
        server.pages = pages  # type: ignore[attr-defined]
    except BaseException as error:
        report.send(error)
        raise
    report.send((origin, page_kb))
    server.serve_forever()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as shops serve

    def do_GET(self) -> None:  # the http.server API names it so
        body = self.server.pages.get(self.path.split("?")[0])  # type: ignore[attr-defined]
        self.send_response(200 if body is not None else 404)
        kind = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: Any) -> None:
        pass


# -- one round, in a process of its own ------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    cpu_ms_per_scan: float
    parse_ms_per_scan: float
    scans_per_second: float
    peak_rss_mb: float
    listings: int


class _ParseClock:
    """While entered, the CPU time the scan threads spend in `JsonLdAdapter.parse` (each thread's
    own, `time.thread_time()`), added up: the adapter's share of the scan."""

    def __init__(self) -> None:
        from scanner.marketplaces.jsonld import JsonLdAdapter

        self.adapter, self.original = JsonLdAdapter, JsonLdAdapter.parse
        self.seconds = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        original = self.original

        def parse(adapter: Any, body: str, *, source_url: str | None = None) -> Any:
            started = time.thread_time()
            try:
                return original(adapter, body, source_url=source_url)
            finally:
                with self._lock:
                    self.seconds += time.thread_time() - started

        self.adapter.parse = parse  # type: ignore[method-assign, assignment]

    def __exit__(self, *_exc: object) -> None:
        self.adapter.parse = self.original  # type: ignore[method-assign]


def scan_round(origin: str, pages: int, warmup: int, threads: int) -> Round:
    """Scan `warmup` watches, then `pages` (measured), each once, in `threads` threads."""
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-jsonld-") as folder:
        os.environ.update(
            {
                "DATA_DIR": folder,
                "DATABASE_URL": "",
                "REDIS_URL": "",
                "RATE_LIMIT_PER_MINUTE": "1000000",
                "JSONLD_ALLOW_PRIVATE_ADDRESSES": "true",
                "SCAN_MAX_PAGES": "1",
                "SMTP_HOST": "",
                "LOG_LEVEL": "INFO",
            }
        )
        # imported here: the settings are read from the environment set above
        from sqlalchemy import func, select, update
        from sqlmodel import Session, col

        from bench.databases import sqlite
        from models import crud
        from models.schemas import SearchInput
        from models.settings import get_settings
        from models.tables import Search, TaskLog, TaskStatus
        from models.types import utcnow
        from scanner.http import Politeness
        from scanner.logs import configure_logging
        from scanner.scan import run_scan

        settings = get_settings()
        with sqlite() as engine, (Path(folder) / "worker.log").open("w") as log:
            configure_logging(settings, log)
            with Session(engine) as session:
                ids = [
                    crud.create_search(
                        session,
                        SearchInput.parse(
                            {
                                "name": f"watch {number}",
                                "query": origin + page_path(number),
                                "marketplaces": ["jsonld"],
                            },
                            min_interval_minutes=1,
                        ),
                    ).id
                    for number in range(pages + warmup)
                ]
                session.execute(update(Search).values(next_scan_at=utcnow() + timedelta(days=1)))
                session.commit()
            politeness = Politeness.for_process(settings)  # shared by the threads, as in a worker
            parsing = _ParseClock()

            def scan(search_id: int | None) -> None:
                assert search_id is not None
                run_scan(engine, settings, search_id, task_id=uuid.uuid4().hex, politeness=politeness)

            with ThreadPoolExecutor(threads, thread_name_prefix="scan") as scanners:
                list(scanners.map(scan, ids[:warmup]))
                cpu, started = time.process_time(), time.perf_counter()
                with parsing:
                    list(scanners.map(scan, ids[warmup:]))
                cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
            with engine.connect() as connection:
                stored = connection.execute(
                    select(func.count(), func.sum(col(TaskLog.listings_found))).where(
                        col(TaskLog.status) == TaskStatus.SUCCESS
                    )
                ).one()
                failed = connection.execute(
                    select(col(TaskLog.error)).where(col(TaskLog.status) != TaskStatus.SUCCESS).limit(3)
                )
                errors = [str(error) for (error,) in failed]
        if errors or stored[0] != pages + warmup:
            raise RuntimeError(f"{stored[0]} of {pages + warmup} scans stored; errors: {errors}")
    return Round(
        cpu_ms_per_scan=cpu * 1000 / pages,
        parse_ms_per_scan=parsing.seconds * 1000 / pages,
        scans_per_second=pages / elapsed,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        listings=int(stored[1] or 0),
    )
