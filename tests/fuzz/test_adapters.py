"""Every adapter, fed hostile pages made from its own fixtures, gives storable listings or a
classified `ScanError` — never another exception, an internal error, or a parse over the budget."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.validation import check_listing

from .conftest import FUZZ
from .hostile import MARKETPLACES, PAGES, Page, mutated, read, read_outcome


@pytest.mark.parametrize("page", PAGES, ids=[page.fixture for page in PAGES])
def test_every_fixture_the_fuzzer_starts_from_reads_whole(page: Page) -> None:
    checked = read(page.marketplace, page.text, page.source_url)
    assert checked.valid and not checked.refused


@pytest.mark.parametrize("marketplace", MARKETPLACES)
@FUZZ
@given(data=st.data())
def test_a_hostile_page_gives_storable_listings_or_a_classified_error(marketplace: str, data: st.DataObject) -> None:
    page = data.draw(st.sampled_from([page for page in PAGES if page.marketplace == marketplace]), label="page")
    body = data.draw(mutated(page.text), label="body")
    outcome = read_outcome(marketplace, body, page.source_url)
    if isinstance(outcome, ScanError):
        assert outcome.error_class not in (ErrorClass.INTERNAL, ErrorClass.PARSE_TIMEOUT), str(outcome)
    else:
        assert [check_listing(listing) for listing in outcome.valid] == outcome.valid  # storable as they are
