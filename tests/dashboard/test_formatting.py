"""Marketplace text inside the dashboard's Markdown stays text."""

from __future__ import annotations

from dashboard.components.formatting import plain


def test_a_hostile_title_cannot_make_a_link_emphasis_or_a_formula() -> None:
    assert plain("[win](javascript:alert(1)) **now** $x$ a_b") == (
        r"\[win\]\(javascript\:alert\(1\)\) \*\*now\*\* \$x\$ a\_b"
    )


def test_outside_text_stays_on_one_line_and_makes_no_image_html_or_directive() -> None:
    shown = plain("Strat\n# Big\n\n![x](http://t.example/p.png) <img src=x> :red[hi] :material/home:")
    assert "\n" not in shown
    assert shown == (r"Strat \# Big  \!\[x\]\(http\://t\.example/p\.png\) \<img src=x\> \:red\[hi\] \:material/home\:")
