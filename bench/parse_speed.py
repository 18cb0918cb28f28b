"""CPU time each marketplace adapter takes per 100 KB of page, on its largest page of each format.

The issue's parse budget is ≤ 10 ms of CPU per 100 KB for every HTML adapter; JSON answers (the
eBay Browse API, Mercari, Craigslist's sapi, Facebook's GraphQL reply…) are reported, not judged.
Every parse is one sample of `time.process_time` (CPU, not wall time: the bench shares its two
cores with the services), divided by the page's size. Our own fixtures are small by design; the
real captured pages beside the project (`../shared/fixtures/`, when present) have production
sizes, so a captured page is measured when there is one of that format, else our own largest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.measure import Figure, Samples, Target, format_number
from bench.options import Options
from models.tables import Marketplace
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "tests" / "fixtures"
CAPTURED = ROOT.parent / "shared" / "fixtures"
MIN_PARSES = 10  # samples of each figure at least, whatever `parse_seconds` allows
UNIT = "ms per 100 KB"
KB_100 = 100 * 1024

Format = Literal["HTML", "JSON"]
FORMATS: tuple[Format, ...] = ("HTML", "JSON")


@dataclass(frozen=True)
class AtMost(Target):
    """`≤ limit` on the median, as the budget is worded (`Target` says `<`)."""

    def met_by(self, samples: Samples) -> bool:
        return samples.median <= self.limit

    def describe(self, unit: str) -> str:
        return f"≤ {format_number(self.limit)} {unit}"


#: The issue's parse budget for an HTML page; JSON answers have none.
BUDGETS: dict[Format, Target | None] = {"HTML": AtMost(10, "lower"), "JSON": None}


def page_format(body: str) -> Format:
    """What the adapters themselves tell apart by the first character."""
    return "JSON" if body.lstrip().startswith(("{", "[")) else "HTML"


def largest_readable(marketplace: str, folder: Path, kind: Format) -> tuple[Path, int] | None:
    """The biggest `kind` file of `folder/marketplace` the adapter reads into at least one listing."""
    adapter = get_adapter(marketplace)
    candidates = sorted((folder / marketplace).glob("*.*"), key=lambda path: path.stat().st_size, reverse=True)
    for path in candidates:
        body = path.read_text(encoding="utf-8")
        if page_format(body) != kind:
            continue
        try:
            listings = adapter.parse(body)
        except ScanError:
            continue
        if listings:
            return path, len(listings)
    return None


def cpu_per_100_kb(marketplace: str, path: Path, seconds: float) -> Samples:
    """One sample per parse, after one unmeasured: CPU milliseconds per 100 KB of the page (its
    size on disk, as it was served); at least `MIN_PARSES` parses, more until `seconds` of CPU
    are spent."""
    adapter = get_adapter(marketplace)
    body = path.read_text(encoding="utf-8")
    size = path.stat().st_size / KB_100
    adapter.parse(body)
    values: list[float] = []
    spent = 0.0
    while len(values) < MIN_PARSES or spent < seconds:
        started = time.process_time()
        adapter.parse(body)
        elapsed = time.process_time() - started
        spent += elapsed
        values.append(elapsed * 1000 / size)
    return Samples(tuple(values), UNIT, "lower")


def run(options: Options) -> list[Figure]:
    figures = []
    for marketplace in (m.value for m in Marketplace):
        for kind in FORMATS:
            for folder, label in ((CAPTURED, "captured"), (OWN, "own")):
                found = largest_readable(marketplace, folder, kind) if (folder / marketplace).is_dir() else None
                if found is None:
                    continue
                path, count = found
                samples = cpu_per_100_kb(marketplace, path, options.parse_seconds)
                size = path.stat().st_size
                per_page = samples.median * size / KB_100
                how = f"{label} `{path.name}`, {size / 1024:,.0f} KB, {count} listing{'s' * (count != 1)}, CPU"
                note = f"{per_page:.1f} ms per page, {1000 * count / per_page:,.0f} listings/s"
                figures.append(Figure(f"parse speed: {marketplace} {kind}", "—", how, samples, BUDGETS[kind], note))
                break  # the largest: the captured page when there is one
    return figures
