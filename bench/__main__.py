"""`python -m bench` (`make bench`): every figure of docs/performance.md in one run, one table.

    python -m bench [--only ingest,queries] [--no-write] [--ingest-listings 20000 ...]

Each section is a module of this package with `run(options) -> list[Figure]`. A section whose
service is missing is reported as skipped, not failed. With --strict the exit code is 1 when a
target is missed, for a pipeline that should stop on a regression.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import time

from bench import options as bench_options
from bench import report
from bench.databases import ServiceMissing
from bench.machine import describe
from bench.measure import Figure

SECTIONS = (
    "deal_quality",
    "parse_speed",
    "ingest",
    "queries",
    "dispatch",
    "scan_throughput",
    "jsonld_scan",
    "alert_latency",
    "worker_memory",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--no-write", action="store_true", help="print the table without touching docs/performance.md")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a figure misses its target")
    bench_options.add_arguments(parser)
    arguments = parser.parse_args(argv)
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    options = bench_options.from_arguments(arguments)

    figures: list[Figure] = []
    skipped: list[str] = []
    for name in chosen:
        started = time.monotonic()
        print(f"bench: {name} …", flush=True)
        module = importlib.import_module(f"bench.{name}")
        try:
            found = module.run(options)
        except ServiceMissing as missing:
            skipped.append(f"{name}: {missing}")
            print(f"bench: {name} skipped: {missing}", flush=True)
            continue
        figures.extend(found)
        print(report.table(found), flush=True)
        print(f"bench: {name} took {time.monotonic() - started:.0f} s\n", flush=True)

    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    section = report.section(figures, describe(options.postgres, options.redis), command.strip(), skipped)
    print(section)
    if not arguments.no_write:
        report.write(section)
        print(f"\nwritten to {report.PERFORMANCE_MD}")
    missed = [figure.name for figure in figures if figure.verdict == "MISSED"]
    if missed:
        print(f"\n{len(missed)} figure(s) missed their target: {', '.join(missed)}")
    return 1 if missed and arguments.strict else 0


if __name__ == "__main__":
    sys.exit(main())
