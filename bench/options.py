"""The bench's sizes and service addresses. Every field is a command-line option of
`python -m bench` (`--ingest-listings 20000`); the defaults are the issue's sizes and finish in
under 15 minutes on a 2-core machine."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Options:
    postgres: str = "postgresql://postgres@127.0.0.1:5432/test"  # admin URL; the bench makes its own databases
    redis: str = "redis://127.0.0.1:6379/14"
    runs: int = 30  # repetitions of each query figure
    sqlite_scale: float = 0.1  # SQLite runs the database figures at this fraction of the sizes
    # ingest
    ingest_listings: int = 100_000
    ingest_batch: int = 200
    ingest_changed_pct: int = 10
    ingest_searches: int = 100
    ingest_writers: str = "1,4"  # concurrent writer threads, as a worker's threads store
    naive_listings: int = 4_000
    # the large database behind the query figures (also `make bench-data`)
    data_listings: int = 1_000_000
    data_observations: int = 10_000_000
    data_searches: int = 1_000
    data_deals: int = 100_000
    data_task_logs: int = 1_000_000
    history_observations: int = 200_000
    # dispatcher
    dispatch_searches: int = 10_000
    dispatch_due_pct: int = 5
    # worker figures, against the demo marketplace
    scan_threads: str = "1,4,16"
    scan_latency_ms: int = 100
    scan_page_listings: int = 50
    scan_seconds: float = 20.0  # measured time at each thread count
    alert_runs: int = 10
    memory_scans: int = 2_000
    # parsing
    parse_seconds: float = 1.0

    def writer_counts(self) -> list[int]:
        return [int(part) for part in self.ingest_writers.split(",") if part.strip()]

    def thread_counts(self) -> list[int]:
        return [int(part) for part in self.scan_threads.split(",") if part.strip()]

    def scaled(self, value: int) -> int:
        """A size for the SQLite run."""
        return max(1, int(value * self.sqlite_scale))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Options()
    for option in fields(Options):
        default = getattr(defaults, option.name)
        parser.add_argument(
            f"--{option.name.replace('_', '-')}", type=type(default), default=default, help=f"default {default}"
        )


def from_arguments(arguments: argparse.Namespace) -> Options:
    return Options(**{option.name: getattr(arguments, option.name) for option in dataclasses.fields(Options)})
