"""The search form: each bad field is named under the field itself and nothing is saved; a good
search is saved once; an existing search can be edited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard.components.formatting import plain
from models.tables import Search
from tests.dashboard.conftest import World, next_sibling, open_app

FORM = "search-new"
GOOD = {"name": "Strat", "query": "fender stratocaster", "max_price": "600", "alert_recipients": "me@example.com"}


def fill(app: AppTest, form: str = FORM, **values: object) -> AppTest:
    for field, value in values.items():
        key = f"{form}.{field}"
        if field == "marketplaces":
            app.multiselect(key=key).set_value(value)
        elif field == "include_for_parts":
            app.checkbox(key=key).set_value(value)
        elif field in ("interval_minutes", "radius_miles"):
            app.number_input(key=key).set_value(value)
        else:
            app.text_input(key=key).input(str(value))
    return app


def submit(app: AppTest, label: str = "Create search") -> AppTest:
    next(button for button in app.button if button.label == label).click().run()
    return app


def saved_searches(engine: Engine) -> list[Search]:
    with Session(engine) as session:
        return list(session.exec(select(Search)))


def error_under(app: AppTest, field: str, form: str = FORM) -> str | None:
    below = next_sibling(app, f"{form}.{field}")
    return str(below.value) if below is not None and below.type == "caption" else None


@pytest.mark.parametrize(
    ("field", "changes", "says"),
    [
        ("query", {"query": "   "}, "at least 1 character"),
        ("min_price", {"min_price": "700"}, "must not be above the maximum price"),
        ("max_price", {"max_price": "-5"}, "greater than or equal to 0"),
        ("interval_minutes", {"interval_minutes": 2}, "must be at least 5 minutes"),
        ("alert_recipients", {"alert_recipients": "me-at-example.com"}, "not a valid email address"),
        ("marketplaces", {"marketplaces": []}, "at least 1 item"),
        ("target_price", {"target_price": "cheap"}, "valid decimal"),
        ("category", {"category": "guitars & amps"}, "should match pattern"),
    ],
)
def test_a_bad_field_is_explained_under_it_and_nothing_is_saved(
    app_engine: Engine, field: str, changes: dict[str, object], says: str
) -> None:
    app = submit(fill(open_app("views/searches.py"), **{**GOOD, **changes}))
    assert not app.exception
    problem = error_under(app, field)
    assert problem is not None and says in problem
    assert [name for name in ("name", "query", "max_price") if name != field and error_under(app, name)] == []
    assert saved_searches(app_engine) == []
    assert app.text_input(key=f"{FORM}.name").value == "Strat"  # what was typed is kept for fixing


@pytest.mark.parametrize(
    ("field", "changes", "says"),
    [
        ("interval_minutes", {"interval_minutes": 2**53 - 1}, "must be at most 43200 minutes (30 days)"),
        (
            "alert_recipients",
            {"alert_recipients": ", ".join(f"me{n}@example.com" for n in range(500))},
            "at most 20 recipients (500 given)",
        ),
        ("excluded_words", {"excluded_words": ", ".join(f"w{n}" for n in range(51))}, "at most 50 excluded words"),
    ],
)
def test_every_bound_is_explained_under_its_field(
    app_engine: Engine, field: str, changes: dict[str, object], says: str
) -> None:
    """Issue 20, defect 10: the form takes no interval of 2^53 - 1 minutes, no 500 recipients (the
    length caps, the same `SearchInput` rules, are covered in tests/test_search_input.py)."""
    app = submit(fill(open_app("views/searches.py"), **{**GOOD, **changes}))
    assert not app.exception
    problem = error_under(app, field)
    assert problem is not None and plain(says) in problem  # Markdown-escaped, shown as written
    assert saved_searches(app_engine) == []


def test_a_good_search_is_saved_once_and_the_form_starts_over(app_engine: Engine) -> None:
    app = submit(fill(open_app("views/searches.py"), **GOOD, excluded_words="Case, parts", category="33034"))
    assert not app.exception
    [search] = saved_searches(app_engine)
    assert search.category == "33034"
    assert (search.name, search.query, search.marketplaces, search.max_price) == (
        "Strat",
        "fender stratocaster",
        ["demo"],
        Decimal("600.00"),
    )
    assert search.excluded_words == ["case", "parts"]
    assert search.alert_recipients == ["me@example.com"]
    assert search.interval_minutes == 15
    assert "Saved “Strat”." in [success.value for success in app.success]
    assert app.text_input(key=f"{FORM}.name").value == ""
    assert [metric.value for metric in app.metric] == ["0"]  # its card, with no deals yet
    assert any(text.startswith("First scan") for text in (m.value for m in app.markdown))


def test_a_new_search_can_include_for_parts_listings(app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    assert not app.checkbox(key=f"{FORM}.include_for_parts").value
    submit(fill(app, **GOOD, include_for_parts=True))
    assert [search.include_for_parts for search in saved_searches(app_engine)] == [True]


def test_an_edit_keeps_then_changes_the_for_parts_choice(app_world: World, app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    app.button(key=f"search.{app_world.strat_id}.edit").click().run()
    form = f"search-edit-{app_world.strat_id}"
    assert not app.checkbox(key=f"{form}.include_for_parts").value
    submit(fill(app, form, include_for_parts=True), "Save changes")
    with Session(app_engine) as session:
        assert session.get(Search, app_world.strat_id).include_for_parts  # type: ignore[union-attr]


def test_fixing_the_field_after_an_error_saves(app_engine: Engine) -> None:
    app = submit(fill(open_app("views/searches.py"), **{**GOOD, "query": ""}))
    assert error_under(app, "query")
    submit(fill(app, query="telecaster"))
    assert [search.query for search in saved_searches(app_engine)] == ["telecaster"]
    assert error_under(app, "query") is None


def test_editing_a_search_changes_it_in_place(app_world: World, app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    app.button(key=f"search.{app_world.strat_id}.edit").click().run()
    form = f"search-edit-{app_world.strat_id}"
    assert app.text_input(key=f"{form}.target_price").value == "500.00"
    fill(app, form, target_price="450", interval_minutes=30)
    submit(app, "Save changes")
    assert not app.exception
    with Session(app_engine) as session:
        search = session.get(Search, app_world.strat_id)
        assert search is not None
        assert (search.target_price, search.interval_minutes, search.name) == (Decimal("450.00"), 30, "Fender Strat")
    assert not [button for button in app.button if button.label == "Save changes"]  # the editor closed


def test_an_edit_with_a_bad_field_keeps_the_saved_search(app_world: World, app_engine: Engine) -> None:
    app = open_app("views/searches.py")
    app.button(key=f"search.{app_world.strat_id}.edit").click().run()
    form = f"search-edit-{app_world.strat_id}"
    submit(fill(app, form, min_price="1000"), "Save changes")
    assert "must not be above the maximum price" in (error_under(app, "min_price", form) or "")
    with Session(app_engine) as session:
        assert session.get(Search, app_world.strat_id).min_price is None  # type: ignore[union-attr]
