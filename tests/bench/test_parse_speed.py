"""The parse-speed figure: every adapter, on the largest page of each format it can read, in CPU
milliseconds per 100 KB — judged against the parse budget for HTML, reported for JSON."""

from __future__ import annotations

import pytest

from bench import parse_speed
from bench.measure import Figure
from bench.options import Options
from models.tables import Marketplace


@pytest.fixture(scope="module")
def figures() -> list[Figure]:
    return parse_speed.run(Options(parse_seconds=0.01))  # the fewest parses: MIN_PARSES each


def test_every_adapter_is_timed_on_a_page_it_reads(figures: list[Figure]) -> None:
    assert {figure.name.removeprefix("parse speed: ").split()[0] for figure in figures} == {
        m.value for m in Marketplace
    }
    for figure in figures:
        assert len(figure.samples.values) >= parse_speed.MIN_PARSES and figure.samples.p95 > 0
        assert figure.samples.unit == "ms per 100 KB"
        assert "ms per page" in figure.note and "listings/s" in figure.note


def test_html_pages_are_held_to_the_budget_and_json_answers_only_reported(figures: list[Figure]) -> None:
    assert all((figure.target is None) == figure.name.endswith(" JSON") for figure in figures)
    assert {figure.name for figure in figures} >= {"parse speed: jsonld HTML", "parse speed: craigslist JSON"}
