"""Canonical listing URLs: one listing, one URL, however the site decorated the link.

Marketplaces append tracking parameters (utm_*, click ids, affiliate campaign ids) that change
from one page view to the next; stored URLs drop them so a listing is not "changed" by a click id.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING_NAMES = frozenset(
    """gclid gclsrc dclid fbclid msclkid yclid igshid mc_cid mc_eid _ga _gl _hsenc _hsmi ref ref_src ref_url
    spm srsltid trk tracking_id mkevt mkcid mkrid campid customid toolid _trkparms _trksid amdata""".split()
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str, *, base: str | None = None, keep: frozenset[str] | None = None) -> str:
    """`url` made absolute (against `base`), with scheme and host lower-cased, no fragment, and no
    tracking parameters; with `keep`, only those query parameters survive."""
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if (name in keep if keep is not None else not is_tracking_parameter(name))
    ]
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))
