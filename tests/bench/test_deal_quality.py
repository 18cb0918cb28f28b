"""The deal-quality figures on a few hours of the demo market: each one measured, and the
judgement ahead of the page-median rule it replaced."""

from __future__ import annotations

from bench.deal_quality import appraised, demo_set, figures_for, page_median_rule, quality
from scanner.appraisal.verdict import Rules

RULES = Rules(min_samples=5)


def test_every_quality_figure_is_a_share_with_its_target() -> None:
    figures = figures_for("demo", demo_set(hours=6), RULES)
    assert [figure.name for figure in figures] == [
        "market price within ±20 % (demo)",
        "junk recall (demo)",
        "junk precision (demo)",
        "deal precision (demo)",
        "deal recall (demo)",
    ]
    assert all(0 <= figure.samples.median <= 100 and figure.target is not None for figure in figures)


def test_comparables_judge_better_than_the_page_median() -> None:
    labeled = demo_set(hours=6)
    ours, before = quality(labeled, appraised(labeled, RULES)), quality(labeled, page_median_rule(labeled, RULES))
    assert ours.market_within > before.market_within
    assert ours.junk_recall > before.junk_recall == 0
    assert ours.deal_precision > before.deal_precision
