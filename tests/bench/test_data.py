"""The bench's data generator: exact counts on both backends, a busy search whose prices all fall
in the Price history page's default period, a database the dashboard shows, and `make bench-data`
refusing to fill a database that already has searches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench import data
from bench.data import HISTORY_SEARCH_NAME, Sizes, generate
from models.db import get_engine
from models.migrate import upgrade
from models.tables import Deal, Listing, PriceObservation, Search, SearchMatch, SearchStatus, TaskLog
from models.types import utcnow
from tests.dashboard.conftest import altair_charts, open_app, reset_app_caches, series_prices

TINY = Sizes(listings=2000, observations=20_000, searches=12, deals=200, task_logs=3000, history_observations=2000)


def count(session: Session, table: type) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_the_database_holds_exactly_the_sizes_asked_for(engine: Engine) -> None:
    generate(engine, TINY, picture_base="http://demo.test")
    with Session(engine) as session:
        counted = [count(session, table) for table in (Search, Listing, PriceObservation, Deal, TaskLog, SearchMatch)]
    assert counted == [TINY.searches, TINY.listings, TINY.observations, TINY.deals, TINY.task_logs, TINY.listings]


def test_the_busy_search_has_every_one_of_its_prices_in_the_default_period(engine: Engine) -> None:
    generated = generate(engine, TINY, picture_base="http://demo.test")
    month_ago = utcnow() - timedelta(days=30)
    with Session(engine) as session:
        recent = session.exec(
            select(func.count())
            .select_from(PriceObservation)
            .join(SearchMatch, SearchMatch.listing_id == PriceObservation.listing_id)
            .where(SearchMatch.search_id == generated.history_search_id, PriceObservation.observed_at >= month_ago)
        ).one()
        first_name = session.exec(select(Search.name).order_by(Search.name, Search.id)).first()
    assert recent == TINY.history_observations
    assert first_name == HISTORY_SEARCH_NAME


def test_only_searches_on_the_demo_market_are_left_active(engine: Engine) -> None:
    generate(engine, TINY, picture_base="http://demo.test")
    with Session(engine) as session:
        searches = session.exec(select(Search)).all()
    assert {search.status for search in searches} == {SearchStatus.ACTIVE, SearchStatus.PAUSED}
    assert all(search.marketplaces == ["demo"] for search in searches if search.status == SearchStatus.ACTIVE)


@pytest.fixture
def generated_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """The dashboard pointed at a generated SQLite database."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/bench.db")
    reset_app_caches()
    engine = get_engine()
    upgrade(engine)
    generate(engine, TINY, picture_base="http://demo.test")
    yield engine
    monkeypatch.undo()
    reset_app_caches()


def test_the_dashboard_shows_deals_prices_and_failures_of_a_generated_database(generated_app: Engine) -> None:
    deals = open_app()
    history = open_app("views/price_history.py")
    operations = open_app("views/operations.py")
    assert not deals.exception and not history.exception and not operations.exception
    assert len(deals.dataframe[0].value) > 0
    assert {metric.label: metric.value for metric in history.metric}[
        "Prices recorded"
    ] == f"{TINY.history_observations:,}"
    assert set(series_prices(altair_charts(history)[0])) >= {"eBay", "Craigslist"}
    marketplaces = operations.dataframe[0].value
    assert marketplaces["scans_day"].sum() > 0 and marketplaces["failure_day"].max() > 0


def test_make_bench_data_fills_a_new_database_and_refuses_one_with_searches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/deal-scout.db"
    assert data.main(["--database-url", url, "--scale", "0.002"]) == 0
    assert "make run" in capsys.readouterr().out
    assert data.main(["--database-url", url, "--scale", "0.002"]) == 1
    assert "already has searches" in capsys.readouterr().err
