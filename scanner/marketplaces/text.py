"""Text as marketplaces show it, on one line: the helpers every HTML and JSON adapter needs."""

from __future__ import annotations

from models.formatting import one_line


def clean_text(value: object) -> str | None:
    """A value of a page or feed as text on one line (`models.formatting.one_line`); None for
    anything empty or not text."""
    return (one_line(value) or None) if isinstance(value, str) else None
