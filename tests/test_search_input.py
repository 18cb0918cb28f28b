"""One validation for a search, used by the dashboard form and the CLI."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from models import crud
from models.schemas import (
    MAX_EXCLUDED_WORDS,
    MAX_INTERVAL_MINUTES,
    MAX_RECIPIENTS,
    MAX_WORD_LENGTH,
    SearchInput,
    field_errors,
)
from models.tables import SearchStatus
from models.types import utcnow
from scanner.schedule import next_scan_time

GOOD = {
    "name": "Strat",
    "query": "fender stratocaster",
    "marketplaces": ["demo", "ebay"],
    "max_price": "600",
    "alert_recipients": ["me@example.com"],
    "interval_minutes": 15,
}


def errors_for(**changes: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        SearchInput.parse({**GOOD, **changes}, min_interval_minutes=5)
    return field_errors(caught.value)


def test_a_good_search_is_accepted_and_normalised() -> None:
    data = SearchInput.parse(
        {**GOOD, "excluded_words": [" Case ", "case", "", "Parts"], "category": " ", "location": ""},
        min_interval_minutes=5,
    )
    assert (data.category, data.location) == (None, None)
    assert data.max_price == Decimal("600")
    assert data.excluded_words == ["case", "parts"]
    assert data.marketplaces == ["demo", "ebay"]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"query": "   "}, "query", "at least 1 character"),
        ({"min_price": "700"}, "min_price", "above the maximum"),
        ({"max_price": "-1"}, "max_price", "greater than or equal to 0"),
        ({"interval_minutes": 2}, "interval_minutes", "at least 5 minutes"),
        ({"alert_recipients": ["not-an-email"]}, "alert_recipients", "email"),
        ({"marketplaces": []}, "marketplaces", "at least 1 item"),
        ({"marketplaces": ["amazon"]}, "marketplaces", "Input should be"),
        ({"category": "musical instruments"}, "category", "should match pattern"),
    ],
)
def test_each_bad_field_is_named_with_what_is_wrong(changes: dict[str, object], field: str, says: str) -> None:
    errors = errors_for(**changes)
    assert field in errors
    assert says in errors[field]


def test_saved_search_is_due_at_once_and_can_be_paused_and_resumed(session: Session) -> None:
    search = crud.create_search(session, SearchInput.parse(GOOD, min_interval_minutes=5))
    session.commit()
    assert search.next_scan_at == search.created_at
    assert crud.set_search_status(session, search.id, SearchStatus.PAUSED).status is SearchStatus.PAUSED
    resumed = crud.set_search_status(session, search.id, SearchStatus.ACTIVE)
    assert resumed.status is SearchStatus.ACTIVE and resumed.next_scan_at >= search.created_at
    crud.delete_search(session, search.id)
    with pytest.raises(crud.NotFound):
        crud.get_search(session, search.id)


# Issue 20, defect 10: every input bounded, each with a plain message naming the bound.


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"interval_minutes": 2**53 - 1}, "interval_minutes", "at most 43200 minutes (30 days)"),
        ({"interval_minutes": 1e20}, "interval_minutes", "at most 43200 minutes (30 days)"),
        ({"interval_minutes": "1e20"}, "interval_minutes", "at most 43200 minutes (30 days)"),
        ({"interval_minutes": MAX_INTERVAL_MINUTES + 1}, "interval_minutes", "at most 43200 minutes"),
        ({"interval_minutes": float("inf")}, "interval_minutes", "finite number"),
        (
            {"alert_recipients": [f"me{n}@example.com" for n in range(500)]},
            "alert_recipients",
            f"at most {MAX_RECIPIENTS} recipients (500 given)",
        ),
        (
            {"excluded_words": [f"word{n}" for n in range(MAX_EXCLUDED_WORDS + 1)]},
            "excluded_words",
            f"at most {MAX_EXCLUDED_WORDS} excluded words ({MAX_EXCLUDED_WORDS + 1} given)",
        ),
        ({"excluded_words": ["x" * (MAX_WORD_LENGTH + 1)]}, "excluded_words", f"at most {MAX_WORD_LENGTH} characters"),
        ({"name": "n" * 201}, "name", "at most 200 characters"),
        ({"query": "q" * 501}, "query", "at most 500 characters"),
        ({"location": "l" * 201}, "location", "at most 200 characters"),
        ({"name": "Strat\x00"}, "name", "control characters"),
        ({"query": "fender\r\nBcc: x@example.com"}, "query", "line breaks"),
        ({"excluded_words": ["ca\tse"]}, "excluded_words", "control characters"),
        ({"radius_miles": 10**30}, "radius_miles", "less than or equal to 500"),
    ],
)
def test_every_input_is_bounded_with_a_plain_message(changes: dict[str, object], field: str, says: str) -> None:
    errors = errors_for(**changes)
    assert field in errors
    assert says in errors[field]


def test_the_bounds_themselves_are_accepted() -> None:
    data = SearchInput.parse(
        {
            **GOOD,
            "interval_minutes": MAX_INTERVAL_MINUTES,
            "alert_recipients": [f"me{n}@example.com" for n in range(MAX_RECIPIENTS)],
            "excluded_words": [f"word{n}" for n in range(MAX_EXCLUDED_WORDS)],
        },
        min_interval_minutes=5,
    )
    assert data.interval_minutes == MAX_INTERVAL_MINUTES == 30 * 24 * 60
    assert (len(data.alert_recipients), len(data.excluded_words)) == (MAX_RECIPIENTS, MAX_EXCLUDED_WORDS)


def test_a_recipient_typed_twice_gets_one_alert() -> None:
    data = SearchInput.parse(
        {**GOOD, "alert_recipients": ["me@example.com", "you@example.com", "Me@example.com"]}, min_interval_minutes=5
    )
    assert data.alert_recipients == ["me@example.com", "you@example.com"]


def test_the_longest_interval_is_stored_and_scheduled_on_both_backends(session: Session) -> None:
    """2^53 - 1 minutes used to be stored, then every scan of it ended in OverflowError."""
    search = crud.create_search(
        session, SearchInput.parse({**GOOD, "interval_minutes": MAX_INTERVAL_MINUTES}, min_interval_minutes=5)
    )
    session.commit()
    now = utcnow()
    due = next_scan_time(crud.get_search(session, search.id).interval_minutes, now, min_interval_minutes=5)
    assert timedelta(days=30) <= due - now <= timedelta(days=30, minutes=1)
