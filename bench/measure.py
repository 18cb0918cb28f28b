"""What every figure is made of: repeated samples, their median and p95, and the target.

A figure is measured several times in one run and reported as median and p95, never as one
number: a single run on a shared 2-core machine says little. Ratios (bulk against naive) are
taken between runs in the same process, so a noisy machine still gives a trustworthy ratio.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower"]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` 0.95 for p95): always one of the samples."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass(frozen=True)
class Samples:
    """Repeated measurements of one quantity, in `unit`."""

    values: tuple[float, ...]
    unit: str
    better: Better

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        """The slow tail: the 95th percentile of a latency, the 5th of a rate."""
        return percentile(self.values, 0.95 if self.better == "lower" else 0.05)


def timed_ms(action: Callable[[], object], runs: int, warmup: int = 1) -> Samples:
    """Milliseconds per call of `action`, over `runs` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        action()
    values = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        values.append((time.perf_counter() - started) * 1000)
    return Samples(tuple(values), "ms", "lower")


@dataclass(frozen=True)
class Target:
    """`≥ 20,000 listings/s` is Target(20_000, "higher"); `p95 < 50 ms` is Target(50, "lower", "p95")."""

    limit: float
    better: Better
    on: Literal["median", "p95"] = "median"

    def met_by(self, samples: Samples) -> bool:
        value = samples.p95 if self.on == "p95" else samples.median
        return value >= self.limit if self.better == "higher" else value < self.limit

    def describe(self, unit: str) -> str:
        sign = "≥" if self.better == "higher" else "<"
        prefix = "p95 " if self.on == "p95" else ""
        return f"{prefix}{sign} {format_number(self.limit)} {unit}"


@dataclass(frozen=True)
class Figure:
    """One line of the table: what was measured, how, on what, and whether it met its target."""

    name: str
    backend: str  # "PostgreSQL", "SQLite", "Redis + PostgreSQL", "—"
    how: str  # sizes and method, in a few words
    samples: Samples
    target: Target | None = None  # None: reported, not judged
    note: str = ""  # ratios, CPU per scan, growth — what the target needs beside the figure
    extra_met: bool = True  # a second condition of the target (the ×20 ratio, the 5 % growth)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "report"
        return "met" if self.target.met_by(self.samples) and self.extra_met else "MISSED"


def format_number(value: float) -> str:
    """Readable at a glance: 21,400 / 38.2 / 1.94 / 0.412."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"
