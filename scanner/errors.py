"""A scan's failure, classified once where it is detected (`ErrorClass`, the core's vocabulary
of `task_log.error_class`) and carried as an enum from there to the task log, the breaker, the
metrics and the dashboard — never parsed back from strings."""

from __future__ import annotations

from models.tables import ErrorClass

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
