"""The create/edit form for a search: every field validated by `SearchInput` (the same rules as
the CLI), each problem shown under its own field, nothing saved until all of them are right.

Widget values live in session state under `<form key>.<field>`, seeded once from the search
being edited; the submit callback reads them, validates and saves through `dashboard.actions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from dashboard import actions
from dashboard.components.formatting import MARKETPLACE_HELP, marketplace_name, plain
from models.crud import NotFound
from models.schemas import MAX_EXCLUDED_WORDS, MAX_INTERVAL_MINUTES, MAX_RECIPIENTS, SearchInput, field_errors
from models.settings import Settings
from models.tables import Condition, Marketplace, Search

FIELDS = (
    "name",
    "query",
    "excluded_words",
    "marketplaces",
    "interval_minutes",
    "condition",
    "min_price",
    "max_price",
    "target_price",
    "currency",
    "category",
    "location",
    "radius_miles",
    "alert_recipients",
    "market_discount_pct",
    "price_drop_pct",
    "alert_new_listings",
    "include_for_parts",
)
_LIST_SEPARATORS = re.compile(r"[,;\s]+")
FLASH_KEY = "searches.flash"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def initial_values(search: Search | None, settings: Settings, *, suggest_demo: bool) -> dict[str, object]:
    """What the widgets start with: the saved search, or sensible defaults for a new one."""
    if search is None:
        return {
            "name": "",
            "query": "",
            "excluded_words": "",
            "marketplaces": [Marketplace.DEMO.value] if suggest_demo else [],
            "interval_minutes": settings.default_scan_interval_minutes,
            "condition": "",
            "min_price": "",
            "max_price": "",
            "target_price": "",
            "currency": "USD",
            "category": "",
            "location": "",
            "radius_miles": None,
            "alert_recipients": "",
            "market_discount_pct": "",
            "price_drop_pct": "",
            "alert_new_listings": False,
            "include_for_parts": False,
        }
    return {
        "name": search.name,
        "query": search.query,
        "excluded_words": ", ".join(search.excluded_words),
        "marketplaces": list(search.marketplaces),
        "interval_minutes": search.interval_minutes,
        "condition": search.condition.value if search.condition else "",
        "min_price": _text(search.min_price),
        "max_price": _text(search.max_price),
        "target_price": _text(search.target_price),
        "currency": search.currency,
        "category": search.category or "",
        "location": search.location or "",
        "radius_miles": search.radius_miles,
        "alert_recipients": ", ".join(search.alert_recipients),
        "market_discount_pct": _text(search.market_discount_pct),
        "price_drop_pct": _text(search.price_drop_pct),
        "alert_new_listings": search.alert_new_listings,
        "include_for_parts": search.include_for_parts,
    }


def to_input(raw: Mapping[str, Any]) -> dict[str, object]:
    """Widget values → what `SearchInput` parses: blank means "not set", lists are comma-separated.
    (`raw` is read from session state, whose values Streamlit types as Any.)"""

    def blank_to_none(value: object) -> str | None:
        return None if value is None or str(value).strip() == "" else str(value).strip()

    def words(value: object) -> list[str]:
        return [word for word in _LIST_SEPARATORS.split(_text(value)) if word]

    return {
        "name": _text(raw["name"]),
        "query": _text(raw["query"]),
        "excluded_words": [word.strip() for word in _text(raw["excluded_words"]).split(",")],
        "marketplaces": list(raw["marketplaces"] or []),
        "interval_minutes": raw["interval_minutes"],
        "condition": blank_to_none(raw["condition"]),
        "min_price": blank_to_none(raw["min_price"]),
        "max_price": blank_to_none(raw["max_price"]),
        "target_price": blank_to_none(raw["target_price"]),
        "currency": _text(raw["currency"]).strip().upper(),
        "category": _text(raw["category"]),
        "location": _text(raw["location"]),
        "radius_miles": raw["radius_miles"],
        "alert_recipients": words(raw["alert_recipients"]),
        "market_discount_pct": blank_to_none(raw["market_discount_pct"]),
        "price_drop_pct": blank_to_none(raw["price_drop_pct"]),
        "alert_new_listings": bool(raw["alert_new_listings"]),
        "include_for_parts": bool(raw["include_for_parts"]),
    }


def _key(form_key: str, field: str) -> str:
    return f"{form_key}.{field}"


def _errors_key(form_key: str) -> str:
    return f"{form_key}.errors"


def reset(form_key: str) -> None:
    """Forget the form's values and errors, so it starts over from its initial values."""
    for field in (*FIELDS, "errors", "seeded"):
        st.session_state.pop(_key(form_key, field), None)


def _submit(form_key: str, search_id: int | None, min_interval: int, on_saved: Callable[[int], None]) -> None:
    raw = {field: st.session_state.get(_key(form_key, field)) for field in FIELDS}
    try:
        parsed = SearchInput.parse(to_input(raw), min_interval_minutes=min_interval)
    except ValidationError as error:
        st.session_state[_errors_key(form_key)] = field_errors(error)
        return
    try:
        saved_id = actions.save_search(search_id, parsed)
    except NotFound:
        st.session_state[_errors_key(form_key)] = {"form": "This search was deleted meanwhile; nothing was saved."}
        return
    except SQLAlchemyError as error:
        st.session_state[_errors_key(form_key)] = {"form": f"The database refused the change ({type(error).__name__})."}
        return
    st.session_state[FLASH_KEY] = f"Saved “{plain(parsed.name)}”."  # Markdown: the page shows it in st.success
    reset(form_key)
    on_saved(saved_id)


def _problem(errors: dict[str, str], field: str) -> None:
    if field in errors:
        st.caption(f":red[:material/error: {plain(errors[field])}]")


def search_form(
    form_key: str,
    *,
    search: Search | None,
    settings: Settings,
    on_saved: Callable[[int], None],
    suggest_demo: bool = False,
) -> None:
    """Draw the form for a new search (`search=None`) or for editing `search`."""
    if not st.session_state.get(_key(form_key, "seeded")):
        for field, value in initial_values(search, settings, suggest_demo=suggest_demo).items():
            st.session_state[_key(form_key, field)] = value
        st.session_state[_key(form_key, "seeded")] = True
    errors: dict[str, str] = st.session_state.get(_errors_key(form_key), {})

    def key(field: str) -> str:
        return _key(form_key, field)

    with st.form(form_key, border=True):
        if "form" in errors:
            st.error(plain(errors["form"]))
        if errors:
            st.caption(":red[Nothing was saved: please fix the fields marked below.]")
        what, where = st.columns(2)
        with what:
            st.text_input("Name", key=key("name"), placeholder="Fender Strat under $600")
            _problem(errors, "name")
            st.text_input("Search for", key=key("query"), placeholder="fender stratocaster")
            _problem(errors, "query")
            st.text_input(
                "Leave out listings with",
                key=key("excluded_words"),
                placeholder="case, parts, broken",
                help=f"Comma-separated words (up to {MAX_EXCLUDED_WORDS}); a listing whose title has one is ignored.",
            )
            _problem(errors, "excluded_words")
            st.checkbox(
                "Include for-parts listings (for repairers)",
                key=key("include_for_parts"),
                help="Broken or not-working units can be deals, priced against other for-parts listings. "
                "Otherwise they are left out as junk.",
            )
            _problem(errors, "include_for_parts")
        with where:
            st.multiselect(
                "Marketplaces",
                [m.value for m in Marketplace],
                key=key("marketplaces"),
                format_func=marketplace_name,
                placeholder="Choose at least one",
                help="\n".join(f"- **{marketplace_name(m)}**: {text}" for m, text in MARKETPLACE_HELP.items()),
            )
            _problem(errors, "marketplaces")
            st.number_input(
                "Scan every (minutes)",
                key=key("interval_minutes"),
                step=1,
                help=f"At least {settings.min_scan_interval_minutes} minutes, at most 30 days "
                f"({MAX_INTERVAL_MINUTES} minutes).",
            )
            _problem(errors, "interval_minutes")
            st.selectbox(
                "Condition",
                ["", *[c.value for c in Condition]],
                key=key("condition"),
                format_func=lambda value: value.replace("_", " ").capitalize() if value else "Any condition",
            )
            _problem(errors, "condition")

        low, high, target, currency = st.columns([2, 2, 2, 1])
        for column, field, label, hint in (
            (low, "min_price", "Min price", "e.g. 100"),
            (high, "max_price", "Max price", "e.g. 900"),
            (target, "target_price", "Target price", "alert at or under this"),
        ):
            with column:
                st.text_input(label, key=key(field), placeholder=hint)
                _problem(errors, field)
        with currency:
            st.text_input("Currency", key=key("currency"), max_chars=3)
            _problem(errors, "currency")

        section, place, radius = st.columns([1, 2, 1])
        with section:
            st.text_input("Category", key=key("category"), placeholder="eBay id or Craigslist section")
            _problem(errors, "category")
        with place:
            st.text_input("Location", key=key("location"), placeholder="Portland, OR (for local marketplaces)")
            _problem(errors, "location")
        with radius:
            st.number_input("Radius (miles)", key=key("radius_miles"), step=1, placeholder="any")
            _problem(errors, "radius_miles")

        st.markdown("**Alerts**")
        recipients, below, drop = st.columns([3, 1, 1])
        with recipients:
            st.text_input(
                "Email alerts to",
                key=key("alert_recipients"),
                placeholder="me@example.com, partner@example.com",
                help=f"Up to {MAX_RECIPIENTS} addresses, separated by commas.",
            )
            _problem(errors, "alert_recipients")
        with below:
            st.text_input(
                "% under market",
                key=key("market_discount_pct"),
                placeholder="e.g. 20",
                help="A deal when the price is this far under the median of comparable listings.",
            )
            _problem(errors, "market_discount_pct")
        with drop:
            st.text_input(
                "Price drop %",
                key=key("price_drop_pct"),
                placeholder="e.g. 10",
                help="A deal when a listing's price drops by this much.",
            )
            _problem(errors, "price_drop_pct")
        st.checkbox("Alert on every new listing", key=key("alert_new_listings"))
        _problem(errors, "alert_new_listings")

        st.form_submit_button(
            "Create search" if search is None else "Save changes",
            type="primary",
            on_click=_submit,
            args=(form_key, search.id if search else None, settings.min_scan_interval_minutes, on_saved),
        )
