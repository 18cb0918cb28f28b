"""Every page of the dashboard, on a new install and on a seeded database (AppTest, real SQLite)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP, World, open_app, plotly_figures, reset_app_caches, texts

PAGES = {
    "Deals": None,
    "Searches": "views/searches.py",
    "Price history": "views/price_history.py",
    "Operations": "views/operations.py",
}


@pytest.mark.parametrize("title", PAGES)
def test_every_page_opens_on_a_new_install(app_engine: Engine, title: str) -> None:
    app = open_app(PAGES[title])
    assert not app.exception
    assert texts(app, "title") == [title]


@pytest.mark.parametrize("title", PAGES)
def test_every_page_opens_on_a_seeded_database(app_world: World, title: str) -> None:
    app = open_app(PAGES[title])
    assert not app.exception
    assert texts(app, "title") == [title]
    assert not app.error


def test_a_new_install_is_told_to_create_a_search_on_the_demo_market(app_engine: Engine) -> None:
    app = open_app()
    welcome = texts(app, "info")[0]
    assert "Start by creating a search" in welcome and "Demo market" in welcome
    assert [link.proto.label for link in app.get("page_link")] == ["Create your first search"]


def test_a_new_install_opens_the_new_search_form_with_the_demo_market_chosen(app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    assert app.expander[0].proto.expanded
    assert app.multiselect(key="search-new.marketplaces").value == ["demo"]


def test_deals_lists_the_best_first_with_prices_links_and_reasons(app_world: World) -> None:
    app = open_app()
    table = app.dataframe[0].value
    assert table["listing"].tolist() == [
        "https://demo.example/item/b1#dealscout-title=Fender%20Stratocaster%202012%20sunburst",
        "https://ebay.example/item/f1#dealscout-title=Fender%20Player%20Stratocaster",
    ]
    assert table["price"].tolist() == [450.0, 540.0]
    assert table["market"].tolist() == [600.0, 600.0]
    assert table["under"].tolist() == [25.0, 10.0]
    assert table["reason"].tolist() == ["Under target · Below market", "Below market"]
    assert table["image"].tolist() == ["https://demo.example/img/b1.jpg", "https://ebay.example/img/f1.jpg"]
    assert table["marketplace"].tolist() == ["Demo market", "eBay"]
    assert [metric.value for metric in app.metric][:2] == ["2", "25%"]


def test_deals_filter_by_marketplace_and_price(app_world: World) -> None:
    app = open_app()
    app.multiselect(key="deals.marketplace").set_value(["ebay"]).run()
    assert app.dataframe[0].value["price"].tolist() == [540.0]
    app.multiselect(key="deals.marketplace").set_value([]).run()
    app.number_input(key="deals.max").set_value(500.0).run()
    assert app.dataframe[0].value["price"].tolist() == [450.0]
    app.number_input(key="deals.min").set_value(800.0).run()
    assert not app.dataframe
    assert texts(app, "info") == ["No deals match these filters."]


def test_deals_sort_newest_first_and_show_dismissed_on_request(app_world: World) -> None:
    app = open_app()
    app.get("button_group")[0].set_value("newest").run()
    assert app.dataframe[0].value["price"].tolist() == [540.0, 450.0]
    app.toggle(key="deals.dismissed").set_value(True).run()
    assert 880.0 in app.dataframe[0].value["price"].tolist()


def test_dismissing_a_selected_deal_removes_it(app_world: World) -> None:
    app = open_app()
    app.session_state["deals.table.0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    dismiss = app.button(key="deals.dismiss")
    assert dismiss.label == "Dismiss 1 selected"
    dismiss.click().run()
    assert app.dataframe[0].value["price"].tolist() == [540.0]


def test_searches_show_last_scan_next_scan_and_deal_count(app_world: World) -> None:
    app = open_app("views/searches.py")
    markdown = texts(app, "markdown")
    assert any("4 listings found, 1 new · eBay failed (blocked): HTTP 403 from ebay" in text for text in markdown)
    assert any(text.startswith("Next scan in") for text in markdown)
    assert any(text.startswith("First scan") for text in markdown)  # the Telecaster has not been scanned
    assert "No scan yet" in texts(app, "caption")
    assert [metric.value for metric in app.metric] == ["2", "0"]


def test_price_history_charts_every_price_with_market_and_target_lines(app_world: World) -> None:
    app = open_app("views/price_history.py")
    search_chart, listing_chart = plotly_figures(app)
    traces = {trace["name"]: trace for trace in search_chart["data"]}
    assert sorted(traces["Demo market"]["y"]) == [300.0, 450.0, 520.0]
    assert traces["eBay"]["y"] == [540.0, 880.0]
    assert traces["Market price (30-day rolling median)"]["y"][-1] == 520.0
    assert [shape["y0"] for shape in search_chart["layout"]["shapes"]] == [500.0]
    assert [metric.value for metric in app.metric] == ["$300", "$520", "5", "$500"]
    assert listing_chart["data"][0]["line"]["shape"] == "hv"


def test_price_history_of_one_listing_marks_first_seen_and_its_end(app_world: World) -> None:
    app = open_app("views/price_history.py")
    app.selectbox(key=f"history.listing.{app_world.strat_id}").set_value(app_world.ended_id).run()
    _, listing_chart = plotly_figures(app)
    marks = [trace["name"] for trace in listing_chart["data"]][2:]
    assert marks == ["First seen", "Sold"]
    app.selectbox(key=f"history.listing.{app_world.strat_id}").set_value(app_world.bargain_id).run()
    _, listing_chart = plotly_figures(app)
    assert listing_chart["data"][0]["y"] == [520.0, 450.0, 450.0]  # the step holds until now
    assert [trace["name"] for trace in listing_chart["data"]][2:] == ["First seen"]


def linked_history(**params: int) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    app.switch_page("views/price_history.py")
    app.query_params.update({name: str(value) for name, value in params.items()})
    return app.run()


def test_price_history_opens_on_the_search_and_listing_a_link_names(app_world: World) -> None:
    app = linked_history(search=app_world.strat_id, listing=app_world.bargain_id)
    assert app.selectbox(key=f"history.listing.{app_world.strat_id}").value == app_world.bargain_id
    assert linked_history(search=app_world.tele_id).selectbox(key="history.search").value == app_world.tele_id


def test_price_history_says_when_a_search_without_prices_is_scanned(app_world: World) -> None:
    app = open_app("views/price_history.py")
    app.selectbox(key="history.search").set_value(app_world.tele_id).run()
    assert any("No prices recorded for “Telecaster”" in text and "next scan is due" in text for text in texts(app, "info"))
    assert not plotly_figures(app)


@pytest.fixture
def unmigrated_database(app_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """A database file nobody ran `python -m scanner migrate` on."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/not-migrated.db")
    reset_app_caches()


@pytest.fixture
def unreachable_database(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL where nothing listens."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://deal_scout@127.0.0.1:9/deal_scout?connect_timeout=2")
    reset_app_caches()


def test_an_unmigrated_database_says_how_to_migrate(unmigrated_database: None) -> None:
    app = open_app()
    assert not app.exception
    assert any("python -m scanner migrate" in text for text in texts(app, "error"))
    assert texts(app, "title") == []
    app = open_app("views/operations.py")
    assert not app.exception
    assert any("python -m scanner migrate" in text for text in texts(app, "error"))


def test_an_unreachable_database_stops_every_page_but_operations(unreachable_database: None) -> None:
    app = open_app()
    assert not app.exception
    assert any("The database is unreachable" in text for text in texts(app, "error"))
    assert texts(app, "title") == []
    app = open_app("views/operations.py")
    assert not app.exception
    assert {metric.label: metric.value for metric in app.metric}["Database"] == "down"
