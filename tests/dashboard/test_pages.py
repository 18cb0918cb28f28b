"""Every page of the dashboard, on a new install and on a seeded database (AppTest, real SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import (
    APP,
    Appraised,
    World,
    altair_charts,
    open_app,
    reset_app_caches,
    series_prices,
    texts,
)

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
    assert table["versus"].tolist() == ["25 % under market", "10 % under market"]
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


def select(app: AppTest, *rows: int, table: str = "deals.table.0") -> AppTest:
    app.session_state[table] = {"selection": {"rows": list(rows), "columns": [], "cells": []}}
    return app.run()


def test_dismissing_a_selected_deal_removes_it(app_world: World) -> None:
    app = select(open_app(), 0)
    dismiss = app.button(key="deals.dismiss")
    assert dismiss.label == "Dismiss 1 selected"
    dismiss.click().run()
    assert app.dataframe[0].value["price"].tolist() == [540.0]


def test_a_deal_under_target_but_above_its_market_says_so(app_appraised: Appraised) -> None:
    table = open_app().dataframe[0].value
    assert table["price"].tolist() == [450.0, 540.0, 480.0]  # best first: 25 % under, 10 % under, above
    assert table["versus"].tolist()[-1] == "14 % above market"
    assert table["reason"].tolist()[-1] == "Under target"


def test_suspicious_deals_show_apart_below_the_list_with_their_share_of_market(app_appraised: Appraised) -> None:
    app = open_app()
    main, suspicious = (frame.value for frame in app.dataframe)
    assert 90.0 not in main["price"].tolist()
    assert texts(app, "subheader") == ["Suspicious — check before buying"]
    assert (suspicious["price"].tolist(), suspicious["versus"].tolist()) == ([90.0], ["15 % of market"])


def test_selecting_a_deal_shows_its_market_price_and_comparables(app_appraised: Appraised) -> None:
    app = select(open_app(), 0)
    figures = {metric.label: metric.value for metric in app.metric}
    assert (figures["Market price"], figures["Sample size"], figures["Confidence"], figures["Range"]) == (
        "$600",
        "3 listings",
        "Medium (0.45)",
        "$560 – $650",
    )
    comparables = app.dataframe[1].value
    assert comparables["listing"].tolist() == [
        "https://demo.example/item/c1#dealscout-title=Fender%20Stratocaster%202014",
        "https://ebay.example/item/c2#dealscout-title=Fender%20Stratocaster%20HSS",
        "https://demo.example/item/c3#dealscout-title=Fender%20Stratocaster%20MIM",
    ]
    assert comparables["price"].tolist() == [560.0, 600.0, 650.0]
    assert comparables["marketplace"].tolist() == ["Demo market", "eBay", "Demo market"]


def test_a_selected_deal_without_a_market_price_says_so(app_world: World) -> None:
    app = open_app()
    app.toggle(key="deals.dismissed").set_value(True).run()
    select(app, 2)  # the new-listing deal, found without a market price
    assert any(text.startswith("No market price") for text in texts(app, "info"))
    assert len(app.dataframe) == 1


def test_excluded_listings_show_with_their_reason_behind_the_toggle(app_appraised: Appraised) -> None:
    app = open_app()
    assert "Excluded listings" not in texts(app, "subheader")
    app.toggle(key="deals.excluded").set_value(True).run()
    assert "Excluded listings" in texts(app, "subheader")
    excluded = app.dataframe[-1].value
    assert excluded["excluded"].tolist() == ["different product", "accessory or part", "for parts / not working"]
    assert (
        excluded["listing"].tolist()[1] == "https://ebay.example/item/k1#dealscout-title=Stratocaster%20neck%2C%20maple"
    )
    assert excluded["price"].tolist() == [400.0, 135.0, 150.0]


def test_searches_show_last_scan_next_scan_and_deal_count(app_world: World) -> None:
    app = open_app("views/searches.py")
    markdown = texts(app, "markdown")
    assert any("4 listings found, 1 new · eBay failed (blocked): HTTP 403 from ebay" in text for text in markdown)
    assert any(text.startswith("Next scan in") for text in markdown)
    assert any(text.startswith("First scan") for text in markdown)  # the Telecaster has not been scanned
    assert "No scan yet" in texts(app, "caption")
    assert [metric.value for metric in app.metric] == ["2", "0"]


def layer(chart: dict[str, Any], mark: str, index: int = 0) -> dict[str, Any]:
    """The `index`-th layer of a chart drawn with `mark` ("circle", "line", "rule"…)."""
    return [layer for layer in chart["layer"] if layer["mark"]["type"] == mark][index]


def test_price_history_charts_every_price_with_market_and_target_lines(app_world: World) -> None:
    app = open_app("views/price_history.py")
    search_chart, listing_chart = altair_charts(app)
    prices = series_prices(search_chart)
    assert sorted(prices["Demo market"]) == [300.0, 450.0, 520.0]
    assert prices["eBay"] == [540.0, 880.0]
    assert prices["Market price (30-day rolling median)"][-1] == 520.0
    assert [row["price"] for row in layer(search_chart, "rule")["rows"]] == [500.0]
    assert [row["label"] for row in layer(search_chart, "text")["rows"]] == ["Target $500"]
    legend = layer(search_chart, "circle")["encoding"]["color"]["scale"]["domain"]
    assert legend == ["Demo market", "eBay", "Market price (30-day rolling median)"]
    assert [metric.value for metric in app.metric] == ["$300", "$520", "5", "$500"]
    assert layer(listing_chart, "line")["mark"]["interpolate"] == "step-after"


def test_price_history_of_one_listing_marks_first_seen_and_its_end(app_world: World) -> None:
    app = open_app("views/price_history.py")
    app.selectbox(key=f"history.listing.{app_world.strat_id}").set_value(app_world.ended_id).run()
    _, listing_chart = altair_charts(app)
    assert [row["label"] for row in layer(listing_chart, "point")["rows"]] == ["First seen", "Sold"]
    assert [row["label"] for row in layer(listing_chart, "text")["rows"]] == ["First seen", "Sold"]
    app.selectbox(key=f"history.listing.{app_world.strat_id}").set_value(app_world.bargain_id).run()
    _, listing_chart = altair_charts(app)
    assert [row["price"] for row in layer(listing_chart, "line")["rows"]] == [520.0, 450.0, 450.0]  # holds until now
    assert [row["label"] for row in layer(listing_chart, "point")["rows"]] == ["First seen"]


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
    assert any(
        "No prices recorded for “Telecaster”" in text and "next scan is due" in text for text in texts(app, "info")
    )
    assert not altair_charts(app)


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
