"""One validation for a search, used by the dashboard form and the CLI."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from models import crud
from models.schemas import SearchInput, field_errors
from models.tables import SearchStatus

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
