"""Why a scan failed, classified once where it is detected and carried as an enum from there
to the task log, the breaker, the metrics and the dashboard — never parsed back from strings."""

from __future__ import annotations

from enum import StrEnum


class ErrorClass(StrEnum):
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"  # 403 or a bot wall
    LOGIN_WALL = "login_wall"
    CAPTCHA = "captcha"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_ERROR = "http_error"  # any other 4xx
    TOO_LARGE = "too_large"
    ROBOTS_DISALLOWED = "robots_disallowed"
    MARKUP_CHANGED = "markup_changed"  # the page no longer looks like what the parser knows
    SUSPECT_EMPTY = "suspect_empty"  # no listings where this search's recent scans found many
    QUOTA_EXHAUSTED = "quota_exhausted"
    NOT_ALLOWED = "not_allowed"  # e.g. a private address for the jsonld adapter
    CONFIGURATION = "configuration"
    INTERRUPTED = "interrupted"  # the worker stopped mid-scan; the task was handed back
    INTERNAL = "internal"  # a bug of ours; the traceback is logged


TRANSIENT = frozenset({ErrorClass.RATE_LIMITED, ErrorClass.SERVER_ERROR, ErrorClass.TIMEOUT, ErrorClass.CONNECTION})


class ScanError(Exception):
    """A marketplace could not be read; `error_class` says why, the message says what."""

    def __init__(self, error_class: ErrorClass, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth retrying soon (the same request may well succeed in a minute)."""
        return self.error_class in TRANSIENT

    def __str__(self) -> str:
        return f"{self.error_class.value}: {self.args[0]}"
