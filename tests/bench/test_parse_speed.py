"""The parse-speed figure: every adapter, on the largest page it can read."""

from __future__ import annotations

from bench import parse_speed
from bench.options import Options
from models.tables import Marketplace


def test_every_adapter_is_timed_on_a_page_it_reads() -> None:
    figures = parse_speed.run(Options(parse_seconds=0.05))
    assert [figure.name for figure in figures] == [f"parse speed: {market.value}" for market in Marketplace]
    for figure in figures:
        assert len(figure.samples.values) == parse_speed.ROUNDS and figure.samples.p95 > 0
        assert figure.samples.unit == "listings/s" and "ms per page" in figure.note
