"""Craigslist's sapi for every city site: the area id and country come from Craigslist's own area
list, read once per worker and kept 30 days; while it cannot be read, the known areas serve."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import SearchQuery
from scanner.marketplaces.craigslist import SAPI_URL, CraigslistAdapter
from scanner.marketplaces.craigslist_areas import AREAS_URL, KEEP_SECONDS, RETRY_SECONDS, AreaDirectory

from .fake_http import Call, FakeClient, fixture_text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def craigslist(areas_answer: str) -> FakeClient:
    """The area list answered with `areas_answer`, sapi with a captured-shape answer, any search
    page with an empty result list."""

    def answer(call: Call) -> tuple[str, str]:
        if call.url == AREAS_URL:
            return areas_answer, call.url
        if call.url == SAPI_URL:
            return fixture_text("craigslist/sapi_seattle_bik.json"), call.url
        return fixture_text("craigslist/static_zero_results.html"), call.url

    return FakeClient(answer)


def test_a_city_site_is_searched_through_sapi_with_its_listed_area_and_country() -> None:
    client = craigslist(fixture_text("craigslist/reference_areas.json"))
    listings = CraigslistAdapter(AreaDirectory()).search(SearchQuery(query="bike", location="toronto"), client)
    assert [call.url for call in client.calls] == [AREAS_URL, SAPI_URL]
    assert (client.calls[1].params["batch"], client.calls[1].params["cc"]) == ("25-0-360-0-0", "CA")
    assert listings


def test_the_area_list_is_read_once_for_every_scan_of_the_worker() -> None:
    client, areas = craigslist(fixture_text("craigslist/reference_areas.json")), AreaDirectory()
    for location in ("boston", "toronto", "seattle"):
        CraigslistAdapter(areas).search(SearchQuery(query="bike", location=location), client)
    assert [call.url for call in client.calls].count(AREAS_URL) == 1


def test_a_site_the_list_does_not_have_and_a_postal_code_search_read_the_pages() -> None:
    client = craigslist(fixture_text("craigslist/reference_areas.json"))
    adapter = CraigslistAdapter(AreaDirectory())
    adapter.search(SearchQuery(query="bike", location="brokenville"), client)
    adapter.search(SearchQuery(query="bike", location="02139"), client)
    assert [urlsplit(call.url).hostname for call in client.calls] == [
        "reference.craigslist.org",
        "brokenville.craigslist.org",
        "www.craigslist.org",
    ]


@pytest.mark.parametrize("answer", ["<html>Service unavailable</html>", "[]", '{"areas": []}', "[" * 100_000])
def test_an_unreadable_list_leaves_the_known_areas_and_is_asked_again_an_hour_later(answer: str) -> None:
    clock = Clock()
    client, areas = craigslist(answer), AreaDirectory(clock=clock)
    CraigslistAdapter(areas).search(SearchQuery(query="bike", location="boston"), client)
    CraigslistAdapter(areas).search(SearchQuery(query="bike", location="seattle"), client)
    assert [call.url for call in client.calls] == [AREAS_URL, "https://boston.craigslist.org/search/sss", SAPI_URL]
    clock.now += RETRY_SECONDS
    CraigslistAdapter(areas).search(SearchQuery(query="bike", location="seattle"), client)
    assert [call.url for call in client.calls].count(AREAS_URL) == 2


def test_a_refused_list_is_no_failed_scan() -> None:
    def refuse(call: Call) -> tuple[str, str]:
        if call.url == AREAS_URL:
            raise ScanError(ErrorClass.ROBOTS_DISALLOWED, "robots.txt of reference.craigslist.org disallows it")
        return fixture_text("craigslist/static_zero_results.html"), call.url

    client = FakeClient(refuse)
    assert CraigslistAdapter(AreaDirectory()).search(SearchQuery(query="bike", location="boston"), client) == []


def test_the_list_is_read_again_after_thirty_days() -> None:
    clock = Clock()
    client, areas = craigslist(fixture_text("craigslist/reference_areas.json")), AreaDirectory(clock=clock)
    CraigslistAdapter(areas).search(SearchQuery(query="bike", location="boston"), client)
    clock.now += KEEP_SECONDS - 1
    CraigslistAdapter(areas).search(SearchQuery(query="bike", location="boston"), client)
    clock.now += 1
    CraigslistAdapter(areas).search(SearchQuery(query="bike", location="boston"), client)
    assert [call.url for call in client.calls].count(AREAS_URL) == 2
