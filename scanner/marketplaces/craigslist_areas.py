"""Which Craigslist area a site is: the id and country its JSON search API (`sapi`) wants.

Craigslist publishes its ~700 areas at `reference.craigslist.org/Areas` (a JSON array of
`{AreaID, Hostname, Country, …}`, served with a 30-day `Cache-Control`). A worker reads it once
and keeps it 30 days; while it cannot be read (robots.txt, an error, a changed shape) the few
areas known for certain stand in, and the list is asked for again an hour later, not on every scan.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scanner.errors import ScanError
from scanner.marketplaces.base import HttpClient

AREAS_URL = "https://reference.craigslist.org/Areas"
KEEP_SECONDS = 30 * 24 * 3600.0  # the list's own Cache-Control
RETRY_SECONDS = 3600.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    id: int
    country: str  # ISO 3166 alpha-2, as the list gives it


#: Known for certain: vancouver from a captured answer's `location.areaId`, the others from public
#: sapi request URLs.
KNOWN_AREAS: Mapping[str, Area] = {
    "sfbay": Area(1, "US"),
    "seattle": Area(2, "US"),
    "newyork": Area(3, "US"),
    "vancouver": Area(16, "CA"),
}


def read_areas(text: str) -> dict[str, Area]:
    """Site name → area, from the reference list; entries it cannot read are left out, and a
    list with none readable is a `ValueError`."""
    data = json.loads(text)
    areas = {
        entry["Hostname"].lower(): Area(entry["AreaID"], entry.get("Country") or "US")
        for entry in (data if isinstance(data, list) else ())
        if isinstance(entry, dict)
        and isinstance(entry.get("Hostname"), str)
        and isinstance(entry.get("AreaID"), int)
        and isinstance(entry.get("Country") or "US", str)
    }
    if not areas:
        raise ValueError("no area with a Hostname and an AreaID")
    return areas


class AreaDirectory:
    """The area list as one worker process knows it, shared by its scan threads."""

    def __init__(self, *, fetch: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch  # False: the known areas only, never a request
        self._clock = clock
        self._areas: Mapping[str, Area] = KNOWN_AREAS
        self._next_fetch = 0.0 if fetch else float("inf")
        self._lock = threading.Lock()

    def area(self, site: str, client: HttpClient) -> Area | None:
        """The area of the site `site` (`boston`), None when Craigslist lists no such site."""
        with self._lock:  # one fetch while the other threads wait for its answer
            if self._clock() >= self._next_fetch:
                self._refresh(client)
            return self._areas.get(site.lower())

    def _refresh(self, client: HttpClient) -> None:
        try:
            self._areas = {**KNOWN_AREAS, **read_areas(client.get(AREAS_URL).text)}
            self._next_fetch = self._clock() + KEEP_SECONDS
        except (ScanError, ValueError, TypeError, RecursionError) as error:
            log.warning(
                "craigslist's area list could not be read (%s): sapi serves only %s for now",
                error,
                ", ".join(sorted(KNOWN_AREAS)),
            )
            self._next_fetch = self._clock() + RETRY_SECONDS


#: The worker's: one list per process.
PROCESS_AREAS = AreaDirectory()
