"""Logging for the worker and the commands: one line per event, readable text or JSON lines.

Scan lines carry their task, search and marketplace (through `scan_logger`), so one grep finds
everything that happened to one scan. A filter on the handler masks URL passwords and the
secret values from settings in every message and traceback: a safety net, not a licence to
log secrets.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

from models.secrets import mask_secrets, secret_values
from models.settings import Settings

CONTEXT_FIELDS = ("task_id", "search_id", "marketplace")
_HANDLER_NAME = "deal-scout"


class SecretMaskingFilter(logging.Filter):
    """Renders the message and traceback once, masked, before any formatter sees them."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, self.secrets)
        return True


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {field: getattr(record, field) for field in CONTEXT_FIELDS if getattr(record, field, None) is not None}


class TextFormatter(logging.Formatter):
    """`2026-11-23T03:01:02.123Z WARNING scanner.tasks [task_id=… marketplace=ebay] message`.

    The message stays on one line (embedded newlines are escaped); a traceback follows on
    indented lines so it reads as part of the event above it.
    """

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{key}={value}" for key, value in _context(record).items())
        message = record.getMessage().replace("\n", "\\n")
        line = f"{_timestamp(record)} {record.levelname} {record.name}"
        line += f" [{context}] {message}" if context else f": {message}"
        if record.exc_text:
            line += "\n" + "\n".join(f"    {part}" for part in record.exc_text.splitlines())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers; the traceback is a field, not extra lines."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        if record.exc_text:
            event["exc"] = record.exc_text
        return json.dumps(event, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, stream: TextIO | None = None, *, level: str | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) in the configured format and level (`level`
    overrides LOG_LEVEL: one-shot commands log warnings only, their output is what matters).

    Calling it again replaces the handler it installed before instead of adding a second one.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(SecretMaskingFilter(secret_values(settings)))
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level or settings.log_level)
    # Alembic announces its context on every revision check (health, dashboard): not an event.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    return handler


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """Adds its fields to every record while keeping any `extra=` the call passes too."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def scan_logger(task_id: str | None, search_id: int | None, marketplace: str | None) -> ContextAdapter:
    """The logger a scan writes through, so every line names its task, search and marketplace."""
    return ContextAdapter(
        logging.getLogger("scanner.scan"),
        {"task_id": task_id, "search_id": search_id, "marketplace": marketplace},
    )
