"""Text as marketplaces show it, on one line: the helpers every HTML and JSON adapter needs."""

from __future__ import annotations

from bs4 import Tag

from models.formatting import one_line


def clean_text(value: object) -> str | None:
    """A value of a page or feed as text on one line (`models.formatting.one_line`); None for
    anything empty or not text."""
    return (one_line(value) or None) if isinstance(value, str) else None


def node_text(node: Tag | None) -> str | None:
    """A node's visible text on one line; None when the node or its text is missing."""
    return clean_text(node.get_text(" ")) if node is not None else None
