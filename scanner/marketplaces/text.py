"""Text as marketplaces show it, on one line: the helpers every HTML and JSON adapter needs."""

from __future__ import annotations

from typing import Any

from bs4 import Tag


def one_line(value: Any) -> str | None:
    """Whitespace collapsed to single spaces; None for anything empty or not text."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def node_text(node: Tag | None) -> str | None:
    """A node's visible text on one line; None when the node or its text is missing."""
    return one_line(node.get_text(" ")) if node is not None else None
