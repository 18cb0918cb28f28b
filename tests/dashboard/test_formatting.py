"""Marketplace text inside the dashboard's Markdown stays text."""

from __future__ import annotations

from dashboard.components.formatting import plain


def test_a_hostile_title_cannot_make_a_link_emphasis_or_a_formula() -> None:
    assert plain("[win](javascript:alert(1)) **now** $x$ a_b") == (
        r"\[win\]\(javascript\:alert\(1\)\) \*\*now\*\* \$x\$ a\_b"
    )
