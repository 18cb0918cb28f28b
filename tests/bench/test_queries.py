"""The dashboard-read figures at tiny sizes: each page's reads measured on a generated database
of each backend, every figure with its repeated samples and the target it is judged by."""

from __future__ import annotations

from bench import queries
from bench.options import Options
from tests.conftest import POSTGRES_ADMIN_URL, require_postgres

TINY = Options(
    postgres=POSTGRES_ADMIN_URL,
    runs=3,
    sqlite_scale=0.5,
    data_listings=2000,
    data_observations=20_000,
    data_searches=12,
    data_deals=200,
    data_task_logs=30_000,  # ~20 scans an hour on SQLite: some fail every day
    history_observations=6000,  # over the chart's 2,000 points on SQLite too: bucketed
)


def test_every_page_read_is_measured_on_both_backends_against_its_target() -> None:
    require_postgres()
    figures = queries.run(TINY)
    names = [figure.name for figure in figures if figure.backend == "PostgreSQL"]
    assert names == [figure.name for figure in figures if figure.backend == "SQLite"]
    assert len(figures) == 2 * len(names) == 12
    assert all(len(figure.samples.values) == TINY.runs and figure.samples.unit == "ms" for figure in figures)
    targets = {figure.name: figure.target for figure in figures}
    assert targets["Deals page: first load"] == queries.DEALS_TARGET
    assert targets["Price history: one search"] == queries.HISTORY_TARGET
    assert targets["Operations: failure rate per marketplace"] == queries.OPERATIONS_TARGET
    assert targets["Deal rules: appraise a 200-listing scan"] == queries.APPRAISAL_TARGET
    assert "6k prices in 30 days" in next(figure.how for figure in figures if figure.name.startswith("Price history"))
