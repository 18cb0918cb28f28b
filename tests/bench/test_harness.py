"""The bench's shared parts: how samples become a median and a slow tail, how targets are
judged, and how the table lands in docs/performance.md without touching the prose around it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import report
from bench.__main__ import main
from bench.measure import Figure, Samples, Target, format_number, percentile, timed_ms
from bench.options import Options, add_arguments, from_arguments


def test_percentile_is_the_nearest_rank_sample() -> None:
    values = [float(number) for number in range(1, 21)]
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.05) == 1.0
    assert percentile([7.0], 0.95) == 7.0


def test_the_slow_tail_of_a_latency_is_high_and_of_a_rate_low() -> None:
    values = tuple(float(number) for number in range(1, 101))
    assert Samples(values, "ms", "lower").p95 == 95.0
    assert Samples(values, "listings/s", "higher").p95 == 5.0
    assert Samples(values, "ms", "lower").median == 50.5


def test_a_target_is_judged_on_the_statistic_it_names() -> None:
    latencies = Samples((10.0, 20.0, 30.0, 40.0, 200.0), "ms", "lower")
    assert Target(50, "lower").met_by(latencies)  # median 30 ms
    assert not Target(50, "lower", "p95").met_by(latencies)  # p95 200 ms
    assert Target(20_000, "higher").describe("listings/s") == "≥ 20,000 listings/s"
    assert Target(50, "lower", "p95").describe("ms") == "p95 < 50.0 ms"


def test_a_figure_misses_when_its_second_condition_fails() -> None:
    fast = Samples((30_000.0,), "listings/s", "higher")
    assert Figure("ingest", "PostgreSQL", "", fast, Target(20_000, "higher")).verdict == "met"
    assert Figure("ingest", "PostgreSQL", "", fast, Target(20_000, "higher"), extra_met=False).verdict == "MISSED"
    assert Figure("parse", "—", "", fast).verdict == "report"


def test_timed_ms_measures_each_run_after_the_warmup() -> None:
    calls: list[int] = []
    samples = timed_ms(lambda: calls.append(1), runs=5, warmup=2)
    assert len(calls) == 7 and len(samples.values) == 5 and all(value >= 0 for value in samples.values)


@pytest.mark.parametrize(("value", "text"), [(21_400.4, "21,400"), (38.24, "38.2"), (1.944, "1.94"), (0.4123, "0.412")])
def test_numbers_are_readable_at_a_glance(value: float, text: str) -> None:
    assert format_number(value) == text


def test_every_option_is_a_command_line_flag() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = from_arguments(parser.parse_args(["--ingest-listings", "500", "--scan-threads", "2,8"]))
    assert options.ingest_listings == 500 and options.thread_counts() == [2, 8]
    assert options.data_listings == Options().data_listings


def test_the_generated_section_replaces_only_its_own_lines(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text(f"# Performance\n\n{report.START}\nold table\n{report.END}\n\n## Notes\nkept\n", encoding="utf-8")
    figure = Figure(
        "dispatcher tick", "PostgreSQL", "10,000 searches", Samples((12.0, 14.0), "ms", "lower"), Target(50, "lower")
    )
    report.write(report.section([figure], [("CPU", "test, 2 cores")], "python -m bench", []), page)
    text = page.read_text(encoding="utf-8")
    assert "old table" not in text and "## Notes\nkept" in text
    assert "| dispatcher tick | PostgreSQL | 10,000 searches | 13.0 ms | 14.0 ms | < 50.0 ms | met |" in text
    assert "- **CPU**: test, 2 cores" in text


def test_a_page_without_a_section_gets_one_under_its_title(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text("# Performance\nprose\n", encoding="utf-8")
    report.write(report.section([], [], "python -m bench", ["queries: PostgreSQL: refused"]), page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# Performance\n\n{report.START}") and text.endswith("prose\n")
    assert "| queries: PostgreSQL: refused | | | | | | skipped | |" in text


def test_an_unknown_section_is_refused_with_the_list_of_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "ingest,typo", "--no-write"])
    assert exit_info.value.code == 2
    assert "unknown section(s): typo" in capsys.readouterr().err
