"""Small generated SVG pictures, so the dashboard shows images with no internet at all."""

from __future__ import annotations

import zlib
from html import escape

_GLYPHS = {
    "guitar": (
        '<ellipse cx="150" cy="150" rx="42" ry="48"/><ellipse cx="150" cy="95" rx="32" ry="34"/>'
        '<rect x="143" y="20" width="14" height="70"/><circle cx="150" cy="140" r="12" fill="#fff" opacity=".5"/>'
    ),
    "camera": (
        '<rect x="80" y="70" width="160" height="100" rx="12"/><rect x="105" y="55" width="45" height="20" rx="4"/>'
        '<circle cx="160" cy="120" r="36" fill="#fff" opacity=".45"/><circle cx="160" cy="120" r="22"/>'
    ),
    "laptop": (
        '<rect x="90" y="45" width="140" height="95" rx="6"/><rect x="100" y="55" width="120" height="75" '
        'fill="#fff" opacity=".45"/><path d="M70 150 H250 L235 170 H85 Z"/>'
    ),
}


def svg(listing_id: str, category: str, label: str) -> str:
    """A 320×240 picture: the category's shape on a colour that is stable per listing id."""
    hue = zlib.crc32(listing_id.encode()) % 360
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">'
        f'<rect width="320" height="240" fill="hsl({hue},45%,86%)"/>'
        f'<g fill="hsl({hue},40%,32%)">{_GLYPHS[category]}</g>'
        '<text x="160" y="218" text-anchor="middle" font-family="sans-serif" font-size="13" fill="#333">'
        f"{escape(label)}</text></svg>"
    )
