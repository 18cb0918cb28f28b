"""Listings parsed per second by each marketplace adapter, on its largest fixture.

Our own fixtures are small by design; the real captured pages beside the project
(`../shared/fixtures/`, when present) have production sizes, so both are reported.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.measure import Figure, Samples
from bench.options import Options
from models.tables import Marketplace
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "tests" / "fixtures"
CAPTURED = ROOT.parent / "shared" / "fixtures"
ROUNDS = 5


def largest_readable(marketplace: str, folder: Path) -> tuple[Path, int] | None:
    """The biggest file of `folder/marketplace` the adapter reads into at least one listing."""
    adapter = get_adapter(marketplace)
    candidates = sorted((folder / marketplace).glob("*.*"), key=lambda path: path.stat().st_size, reverse=True)
    for path in candidates:
        try:
            listings = adapter.parse(path.read_text(encoding="utf-8"))
        except ScanError:
            continue
        if listings:
            return path, len(listings)
    return None


def listings_per_second(marketplace: str, path: Path, seconds: float) -> Samples:
    """One sample per round; each round parses the page for `seconds` (at least once)."""
    adapter = get_adapter(marketplace)
    body = path.read_text(encoding="utf-8")
    rates = []
    for _ in range(ROUNDS):
        listings, started = 0, time.perf_counter()
        while True:
            listings += len(adapter.parse(body))
            elapsed = time.perf_counter() - started
            if elapsed >= seconds / ROUNDS:
                break
        rates.append(listings / elapsed)
    return Samples(tuple(rates), "listings/s", "higher")


def run(options: Options) -> list[Figure]:
    figures = []
    for marketplace in (m.value for m in Marketplace):
        for folder, label in ((CAPTURED, "captured"), (OWN, "own")):
            found = largest_readable(marketplace, folder) if (folder / marketplace).is_dir() else None
            if found is None:
                continue
            path, count = found
            samples = listings_per_second(marketplace, path, options.parse_seconds)
            how = f"{label} `{path.name}`, {path.stat().st_size / 1024:,.0f} KB, {count} listing{'s' * (count != 1)}"
            note = f"{1000 * count / samples.median:.1f} ms per page"
            figures.append(Figure(f"parse speed: {marketplace}", "—", how, samples, note=note))
            break  # the largest: the captured page when there is one
    return figures
