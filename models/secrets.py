"""Which strings are secret, and text with them masked: what logs, health reports and the
dashboard's error lines all need before they show anything to a person."""

from __future__ import annotations

import re
from collections.abc import Iterable

from models.settings import Settings
from models.tables import Marketplace

MASK = "***"
# scheme://user:password@host — the password is whatever sits between the colon and the @.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]*:)(?P<password>[^\s@/]+)(?P<at>@)")


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with URL passwords and every known secret value replaced by ***."""
    text = _URL_PASSWORD.sub(lambda match: f"{match['head']}{MASK}{match['at']}", text)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def secret_values(settings: Settings) -> list[str]:
    """The secret strings settings hold, longest first so a secret containing another is masked whole."""
    candidates = [
        settings.smtp_password,
        settings.ebay_cert_id,
        settings.facebook_cookies,
        settings.dashboard_password,
        settings.health_token,
    ]
    values = [secret.get_secret_value() for secret in candidates if secret is not None]
    proxies = [settings.proxy_url(marketplace.value) for marketplace in Marketplace]
    for url in (settings.database_url, settings.redis_url, *proxies):
        match = _URL_PASSWORD.search(url or "")
        if match:
            values.append(match["password"])
    # Very short values would mask ordinary words; a 3-character password is not one we can hide.
    return sorted({value for value in values if len(value) >= 4}, key=len, reverse=True)
