"""Is a 200 page without results data a block, consent or challenge page (`ErrorClass.BLOCKED`)?

Asked only of a page that holds no results data: a real results page may load a reCAPTCHA or a
consent script and still be results. Plain substring searches in the lower-cased start of the page.
"""

from __future__ import annotations

from collections.abc import Iterable

# Bot checks (DataDome, Cloudflare, Imperva, reCAPTCHA, hCaptcha) and consent managers (DPG
# Media's privacy gate, Sourcepoint), as their pages say or load them.
BLOCK_MARKERS = (
    "captcha-delivery.com",
    "captcha",
    "challenges.cloudflare.com",
    "cf-challenge",
    "just a moment",
    "_incapsula_resource",
    "pardon our interruption",
    "you have been blocked",
    "access denied",
    "are you a robot",
    "verify you are a human",
    "myprivacy.dpgmedia",
    "privacy gate",
    "privacy-mgmt.com",
    "cookiewall",
)
_SCAN_CHARS = 200_000


def looks_blocked(body: str, *, also: Iterable[str] = ()) -> bool:
    """`also`: a site's own wording in its language ("geblokkeerd"), lower case."""
    page = body[:_SCAN_CHARS].lower()
    return any(marker in page for markers in (BLOCK_MARKERS, also) for marker in markers)
