"""Listings parsed per second by each marketplace adapter, on its largest fixture.

Our own fixtures are small by design; the real captured pages beside the project
(`../shared/fixtures/`, when present) have production sizes, so both are reported.

    python -m bench.parse_speed [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from models.tables import Marketplace
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "tests" / "fixtures"
CAPTURED = ROOT.parent / "shared" / "fixtures"


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


def listings_per_second(marketplace: str, path: Path, seconds: float) -> tuple[float, float]:
    adapter = get_adapter(marketplace)
    body = path.read_text(encoding="utf-8")
    runs, listings, started = 0, 0, time.perf_counter()
    while time.perf_counter() - started < seconds or runs < 3:
        listings += len(adapter.parse(body))
        runs += 1
    elapsed = time.perf_counter() - started
    return listings / elapsed, elapsed / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent on each file")
    args = parser.parse_args()
    print(f"{'adapter':<11} {'fixture':<52} {'KB':>6} {'listings':>8} {'ms/page':>8} {'listings/s':>11}")
    for marketplace in (m.value for m in Marketplace):
        for folder, label in ((OWN, "own"), (CAPTURED, "captured")):
            found = largest_readable(marketplace, folder) if (folder / marketplace).is_dir() else None
            if found is None:
                continue
            path, count = found
            rate, per_page = listings_per_second(marketplace, path, args.seconds)
            name = f"{label}: {path.name}"
            print(f"{marketplace:<11} {name:<52} {path.stat().st_size / 1024:>6.0f} {count:>8} {per_page:>8.1f} {rate:>11,.0f}")


if __name__ == "__main__":
    main()
