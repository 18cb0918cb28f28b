"""The Marktplaats adapter: its three formats (API answer, search page, bare `__NEXT_DATA__`),
what each price type means, the answers that are no results, and the requests `search()` makes
(the API first, paged by offset; the search page as fallback)."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from models.tables import Condition, ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.marktplaats import SEARCH_API_URL, MarktplaatsAdapter
from tests.marketplaces.fake_http import Call, FakeClient, fixture_text

API_PATH = urlsplit(SEARCH_API_URL).path


def parse(name: str) -> list[ListingData]:
    return MarktplaatsAdapter().parse(fixture_text(f"marktplaats/{name}"))


def by_id(listings: list[ListingData]) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in listings}


def page_listing(item_id: str) -> ListingData:
    return by_id(parse("search_page.html"))[item_id]


def test_registry_gives_the_marktplaats_adapter() -> None:
    adapter = get_adapter("marktplaats")
    assert isinstance(adapter, MarktplaatsAdapter)
    assert adapter.default_currency == "EUR"


# --- the search page and its __NEXT_DATA__ ---------------------------------------------------------


def test_search_page_gives_every_listing_of_its_next_data_once() -> None:
    ids = [listing.external_id for listing in parse("search_page.html")]
    assert ids == [f"m210000000{n}" for n in (1, 2, 3, 4, 5)] + ["a1900000006", "m2100000007"]


def test_bare_next_data_json_reads_as_the_page_does() -> None:
    assert parse("search_page_data.json") == parse("search_page.html")


def test_listing_gives_title_on_one_line_seller_and_euros() -> None:
    gazelle = page_listing("m2100000001")
    assert gazelle.title == "Gazelle Orange C7 damesfiets 28 inch"
    assert gazelle.seller == "Fixture Fietsen Utrecht"
    assert (gazelle.price, gazelle.currency) == (Decimal("245.50"), "EUR")


def test_url_is_absolute_and_without_tracking_parameters_or_fragment() -> None:
    assert page_listing("m2100000001").url == (
        "https://www.marktplaats.nl/v/fietsen-en-brommers/fietsen-dames-damesfietsen/"
        "m2100000001-gazelle-orange-c7-damesfiets"
    )


def test_picture_is_the_first_at_its_largest_named_size() -> None:
    assert page_listing("m2100000001").image_url == (
        "https://images.marktplaats.com/api/v1/listing-mp-p/images/f1/f1000001-0000-4000-8000-000000000001"
        "?rule=ecg_mp_eps$_85.jpg"
    )


def test_protocol_relative_image_url_is_made_https() -> None:
    assert page_listing("m2100000002").image_url == (
        "https://images.marktplaats.com/api/v1/listing-mp-p/images/f2/f2000002-0000-4000-8000-000000000002"
        "?rule=ecg_mp_eps$_82.jpg"
    )


def test_listing_without_pictures_has_no_image() -> None:
    assert page_listing("m2100000003").image_url is None


def test_location_is_the_city_with_distance_and_coordinates_in_extra() -> None:
    gazelle = page_listing("m2100000001")
    assert gazelle.location == "Utrecht"
    assert gazelle.extra["distance_m"] == 3200
    assert (gazelle.extra["latitude"], gazelle.extra["longitude"]) == (52.0907, 5.1214)


def test_unknown_distance_and_zero_coordinates_are_left_out() -> None:
    ebike = page_listing("a1900000006")
    assert ebike.location == "Nijkerk"
    assert not {"distance_m", "latitude", "longitude"} & set(ebike.extra)


def test_condition_is_given_in_english_with_the_site_wording_in_extra() -> None:
    assert (page_listing("m2100000001").condition, page_listing("m2100000001").extra["condition_nl"]) == (
        "Used",
        "Gebruikt",
    )
    assert page_listing("m2100000002").condition == "Like new"
    assert page_listing("a1900000006").condition == "New"
    assert page_listing("m2100000003").condition is None


def test_delivery_is_recorded_and_other_attributes_keep_their_unit() -> None:
    gazelle = page_listing("m2100000001")
    assert gazelle.extra["delivery"] == "Ophalen"
    assert gazelle.extra["attributes"] == {"frameHeight": "53 cm"}
    assert gazelle.shipping is None  # the search results never give a shipping cost


def test_absolute_date_is_read_and_relative_one_kept_as_shown() -> None:
    assert page_listing("m2100000002").extra["posted"] == "12 mrt 26"
    assert page_listing("m2100000002").extra["posted_on"] == "2026-03-12"
    assert page_listing("m2100000003").extra["posted"] == "Gisteren"
    assert "posted_on" not in page_listing("m2100000003").extra  # a saved page does not say when it was saved


def test_admarkt_ad_is_kept_and_marked_with_its_paid_placement() -> None:
    ebike = page_listing("a1900000006")
    assert (ebike.extra["admarkt"], ebike.extra["promotion"]) == (True, "DAGTOPPER")
    assert page_listing("m2100000001").extra["admarkt"] is False


@pytest.mark.parametrize(
    ("item_id", "price_type", "price"),
    [
        ("m2100000001", "FIXED", Decimal("245.50")),
        ("m2100000002", "MIN_BID", Decimal("60.00")),  # "bieden vanaf": the asking price
        ("m2100000003", "FAST_BID", None),  # "bieden": no price asked
        ("m2100000004", "FREE", Decimal("0.00")),
        ("m2100000005", "SEE_DESCRIPTION", None),
        ("m2100000007", "NOTK", None),  # n.o.t.k. without an amount
    ],
)
def test_price_follows_the_price_type_which_extra_records(item_id: str, price_type: str, price: Decimal | None) -> None:
    listing = page_listing(item_id)
    assert (listing.price, listing.extra["price_type"]) == (price, price_type)


def test_reserved_listing_is_pending() -> None:
    assert page_listing("m2100000005").status == "pending"
    assert page_listing("m2100000001").status == "active"


# --- the API answer ---------------------------------------------------------------------------------


def test_api_answer_gives_its_listings() -> None:
    sparta = by_id(parse("api_answer.json"))["m2200000001"]
    assert (sparta.title, sparta.price, sparta.currency) == (
        "Sparta Pick-Up herenfiets 57 cm",
        Decimal("199.00"),
        "EUR",
    )
    assert sparta.extra["delivery"] == "Ophalen of Verzenden"
    assert sparta.url == (
        "https://www.marktplaats.nl/v/fietsen-en-brommers/fietsen-heren-herenfietsen/m2200000001-sparta-pick-up-herenfiets-57-cm"
    )


def test_absolute_vip_url_loses_its_tracking_parameters() -> None:
    assert by_id(parse("api_answer.json"))["m2200000003"].url == (
        "https://www.marktplaats.nl/v/fietsen-en-brommers/fietsen-transportfietsen/m2200000003-cortina-u4-transportfiets"
    )


def test_price_on_request_is_no_price() -> None:
    assert by_id(parse("api_answer.json"))["m2200000003"].price is None


def test_item_city_beats_the_advertisers_city() -> None:
    studio = by_id(parse("api_answer.json"))["a2200000004"]
    assert (studio.location, studio.extra["seller_location"]) == ("Leiden", "Rotterdam")
    assert studio.extra["attributes"] == {"region": "Zuid-Holland", "livingArea": "30 m²"}


def test_one_broken_listing_is_dropped_alone_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scanner.marketplaces.marktplaats"):
        ids = [listing.external_id for listing in parse("api_answer.json")]
    assert ids == ["m2200000001", "m2200000003", "a2200000004"]
    assert "m2200000002" in caplog.text


def test_answer_whose_listings_are_all_unreadable_is_changed_markup() -> None:
    answer = json.loads(fixture_text("marktplaats/api_answer.json"))
    answer["listings"] = [{"itemId": "m1"}, "not a listing"]
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().parse(json.dumps(answer))
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED


def test_unknown_price_type_reads_as_no_price() -> None:
    answer = json.loads(fixture_text("marktplaats/api_answer.json"))
    answer["listings"][0]["priceInfo"] = {"priceCents": 12300, "priceType": "SOMETHING_NEW"}
    sparta = MarktplaatsAdapter().parse(json.dumps(answer))[0]
    assert (sparta.price, sparta.extra["price_type"]) == (None, "SOMETHING_NEW")


# --- answers that are no results -------------------------------------------------------------------


def test_zero_results_is_an_empty_list() -> None:
    assert parse("api_no_results.json") == []


def test_search_error_without_listings_is_a_server_error() -> None:
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().parse('{"listings": [], "totalResultCount": 0, "hasErrors": true}')
    assert caught.value.error_class is ErrorClass.SERVER_ERROR


def test_consent_page_is_blocked() -> None:
    with pytest.raises(ScanError) as caught:
        parse("consent_page.html")
    assert caught.value.error_class is ErrorClass.BLOCKED


@pytest.mark.parametrize(
    "body",
    [
        "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
        "<html><body><h1>Access denied</h1><p>Je verzoek is geblokkeerd.</p></body></html>",
    ],
    ids=["challenge", "block"],
)
def test_challenge_or_block_page_is_blocked(body: str) -> None:
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().parse(body)
    assert caught.value.error_class is ErrorClass.BLOCKED


@pytest.mark.parametrize(
    "body",
    [
        fixture_text("marktplaats/changed_page.html"),  # __NEXT_DATA__ without the search response
        "<html><body><ul><li>fiets</li></ul></body></html>",  # no __NEXT_DATA__ at all
        '{"results": []}',  # JSON of another shape
        '{"listings": {"m1": {}}}',  # listings not an array
        '{"listings": [',  # cut off
    ],
    ids=["next data of another shape", "no next data", "other json", "listings not a list", "broken json"],
)
def test_unreadable_answer_is_changed_markup(body: str) -> None:
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().parse(body)
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED


# --- search(): the API request and its paging ------------------------------------------------------


def api_answer(first: int, count: int, total: int) -> str:
    """An API answer of `count` listings numbered from `first`, out of `total`."""
    template = json.loads(fixture_text("marktplaats/api_answer.json"))["listings"][0]
    listings = []
    for number in range(first, first + count):
        listing = copy.deepcopy(template)
        listing["itemId"] = f"m3{number:09d}"
        listing["vipUrl"] = f"/v/fietsen-en-brommers/fietsen-heren-herenfietsen/m3{number:09d}-fixture"
        listings.append(listing)
    return json.dumps({"listings": listings, "totalResultCount": total, "hasErrors": False})


def answering(answer: Callable[[Call], str]) -> FakeClient:
    return FakeClient(lambda call: (answer(call), call.url))


def by_offset(total: int, page_size: int = 100) -> FakeClient:
    """The API as it pages: each offset gives its slice of `total` results."""

    def answer(call: Call) -> str:
        offset = int(call.params["offset"])
        return api_answer(offset, max(0, min(page_size, total - offset)), total)

    return answering(answer)


def test_api_request_asks_for_the_newest_100_matching_listings() -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_answer.json"))
    MarktplaatsAdapter().search(SearchQuery(query=" racefiets  ", currency="EUR"), client)
    assert client.calls[0].url == SEARCH_API_URL
    assert client.calls[0].params == {
        "query": "racefiets",
        "limit": "100",
        "offset": "0",
        "searchInTitleAndDescription": "true",
        "viewOptions": "list-view",
        "sortBy": "SORT_INDEX",
        "sortOrder": "DECREASING",
    }


def test_api_request_carries_postcode_radius_category_prices_in_cents_and_condition() -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_answer.json"))
    query = SearchQuery(
        query="racefiets",
        location="2611 ab",
        radius_miles=10,
        category="322/339",
        min_price=Decimal("150"),
        max_price=Decimal("499.99"),
        condition=Condition.USED,
        currency="EUR",
    )
    MarktplaatsAdapter().search(query, client)
    params = client.calls[0].params
    assert (params["postcode"], params["distanceMeters"]) == ("2611AB", "16093")
    assert (params["l1CategoryId"], params["l2CategoryId"]) == ("322", "339")
    assert params["attributeRanges[]"] == ["PriceCents:15000:49999"]
    assert params["attributesById[]"] == [31, 32]  # as good as new, used


def test_open_price_bound_is_null_and_bounds_in_another_currency_are_not_sent() -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_answer.json"))
    MarktplaatsAdapter().search(SearchQuery(query="fiets", max_price=Decimal("80"), currency="EUR"), client)
    MarktplaatsAdapter().search(SearchQuery(query="fiets", max_price=Decimal("80"), currency="USD"), client)
    assert client.calls[0].params["attributeRanges[]"] == ["PriceCents:null:8000"]
    assert "attributeRanges[]" not in client.calls[1].params


def test_search_pages_by_offset_until_the_results_end() -> None:
    client = by_offset(total=250)
    listings = MarktplaatsAdapter().search(SearchQuery(query="fiets", max_pages=5), client)
    assert [call.params["offset"] for call in client.calls] == ["0", "100", "200"]
    assert len({listing.external_id for listing in listings}) == len(listings) == 250


def test_search_stops_at_max_pages() -> None:
    client = by_offset(total=1000)
    listings = MarktplaatsAdapter().search(SearchQuery(query="fiets", max_pages=2), client)
    assert ([call.params["offset"] for call in client.calls], len(listings)) == (["0", "100"], 200)


def test_search_stops_at_a_short_page() -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_answer.json"))
    assert len(MarktplaatsAdapter().search(SearchQuery(query="fiets", max_pages=3), client)) == 3
    assert len(client.calls) == 1


def test_search_stops_when_a_page_brings_nothing_new() -> None:
    client = answering(lambda call: api_answer(0, 100, 5000))  # the same page whatever the offset
    assert len(MarktplaatsAdapter().search(SearchQuery(query="fiets", max_pages=3), client)) == 100
    assert len(client.calls) == 2


def test_search_with_zero_results_is_an_empty_list() -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_no_results.json"))
    assert MarktplaatsAdapter().search(SearchQuery(query="qwxzfiets"), client) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (SearchQuery(query="fiets", location="Utrecht"), "postcode"),
        (SearchQuery(query="fiets", category="fietsen"), "category"),
        (SearchQuery(query="  "), "words or a category"),
    ],
    ids=["location not a postcode", "category not an id", "nothing to search"],
)
def test_search_the_site_cannot_run_is_a_configuration_error(query: SearchQuery, message: str) -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_answer.json"))
    with pytest.raises(ScanError, match=message) as caught:
        MarktplaatsAdapter().search(query, client)
    assert (caught.value.error_class, client.calls) == (ErrorClass.CONFIGURATION, [])


# --- search(): the search page as fallback ----------------------------------------------------------


def api_failing(error: ScanError | None, page: str | None = None) -> FakeClient:
    """The API raises `error` (or answers HTML, when None); the search page answers `page`
    (the fixture search page by default)."""

    def answer(call: Call) -> str:
        if urlsplit(call.url).path == API_PATH:
            if error is not None:
                raise error
            return "<html><body>Er ging iets mis</body></html>"
        return page if page is not None else fixture_text("marktplaats/search_page.html")

    return answering(answer)


@pytest.mark.parametrize(
    "error",
    [
        ScanError(ErrorClass.HTTP_ERROR, "404 from the API"),
        ScanError(ErrorClass.SERVER_ERROR, "503 from the API"),
        ScanError(ErrorClass.ROBOTS_DISALLOWED, "robots.txt disallows /lrp/api/"),
        None,  # an answer that is not JSON: changed markup
    ],
    ids=["4xx", "5xx", "robots", "unreadable"],
)
def test_search_page_is_read_when_the_api_fails(error: ScanError | None) -> None:
    client = api_failing(error)
    listings = MarktplaatsAdapter().search(SearchQuery(query="stalen fiets", max_pages=1), client)
    assert client.paths() == [API_PATH, "/q/stalen+fiets/"]
    assert len(listings) == 7


def test_fallback_pages_through_the_search_page_paths() -> None:
    many = fixture_text("marktplaats/search_page.html").replace('"totalResultCount":7', '"totalResultCount":90')
    client = api_failing(ScanError(ErrorClass.HTTP_ERROR, "404"), page=many)
    MarktplaatsAdapter().search(SearchQuery(query="fiets", max_pages=3), client)
    # the second page repeats the first (a fixture has one page): nothing new, so paging stops there
    assert client.paths() == [API_PATH, "/q/fiets/", "/q/fiets/p/2/"]


@pytest.mark.parametrize(
    "error_class", [ErrorClass.BLOCKED, ErrorClass.RATE_LIMITED, ErrorClass.CAPTCHA, ErrorClass.TIMEOUT]
)
def test_failures_the_page_would_share_are_raised_without_fallback(error_class: ErrorClass) -> None:
    client = api_failing(ScanError(error_class, "from the API"))
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().search(SearchQuery(query="fiets"), client)
    assert (caught.value.error_class, client.paths()) == (error_class, [API_PATH])


def test_no_fallback_for_a_search_the_page_cannot_filter() -> None:
    client = api_failing(ScanError(ErrorClass.HTTP_ERROR, "404"))
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().search(SearchQuery(query="fiets", location="2611AB"), client)
    assert (caught.value.error_class, client.paths()) == (ErrorClass.HTTP_ERROR, [API_PATH])


def test_consent_page_in_place_of_the_fallback_is_blocked() -> None:
    client = api_failing(ScanError(ErrorClass.HTTP_ERROR, "404"), page=fixture_text("marktplaats/consent_page.html"))
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().search(SearchQuery(query="fiets"), client)
    assert caught.value.error_class is ErrorClass.BLOCKED


def test_live_search_dates_relative_days() -> None:
    client = answering(lambda call: fixture_text("marktplaats/api_answer.json"))
    listings = by_id(MarktplaatsAdapter().search(SearchQuery(query="fiets"), client))
    today, yesterday = (date.fromisoformat(listings[key].extra["posted_on"]) for key in ("m2200000001", "m2200000003"))
    assert (listings["m2200000001"].extra["posted"], listings["m2200000003"].extra["posted"]) == ("Vandaag", "Gisteren")
    assert today - yesterday == timedelta(days=1)


# --- the real captured page (../shared/fixtures, outside the repository) ---------------------------

CAPTURE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "fixtures"
    / "marktplaats"
    / "search_delft_huizen_te_huur.html"
)
needs_capture = pytest.mark.skipif(
    not CAPTURE.is_file(), reason=f"real captured page not present at {CAPTURE} (it lives beside the repository)"
)


@cache
def capture() -> list[ListingData]:
    return MarktplaatsAdapter().parse(CAPTURE.read_text(encoding="utf-8"))


@needs_capture
def test_capture_gives_its_30_listings_all_in_euros_with_absolute_urls() -> None:
    listings = capture()
    assert len(by_id(listings)) == len(listings) == 30
    assert {listing.currency for listing in listings} == {"EUR"}
    assert all(listing.url.startswith("https://www.marktplaats.nl/v/huizen-en-kamers/") for listing in listings)
    assert all(listing.image_url and listing.image_url.startswith("https://") for listing in listings)


@needs_capture
def test_capture_every_listing_has_a_fixed_price_and_27_are_admarkt_ads() -> None:
    listings = capture()
    assert {listing.extra["price_type"] for listing in listings} == {"FIXED"}
    assert all(listing.price is not None for listing in listings)
    assert sum(listing.extra["admarkt"] for listing in listings) == 27


@needs_capture
def test_capture_first_listing_as_read_on_the_page() -> None:
    first = capture()[0]
    assert first.external_id == "a1527255278"
    assert first.title == "Appartement te huur in Delft - 40 m² - 1 kamer(s)"
    assert (first.price, first.seller, first.location) == (Decimal("1167.00"), "Huurzone", "Delft")
    assert first.url == (
        "https://www.marktplaats.nl/v/huizen-en-kamers/huizen-te-huur/"
        "a1527255278-appartement-te-huur-in-delft-40-m2-1-kamer-s"
    )
    assert first.image_url is not None and first.image_url.endswith("?rule=eps_85.JPG")
    assert first.extra["posted"] == "Gisteren"


@needs_capture
def test_capture_ordinary_ad_has_its_city_and_price() -> None:
    woonnet = by_id(capture())["m2416031139"]
    assert woonnet.title == "NIEUW! Woonruimte te huur Buitenwatersloot, Delft"
    assert (woonnet.price, woonnet.location, woonnet.seller) == (Decimal("1150.00"), "Naarden", "Woonnet")
    assert woonnet.extra["admarkt"] is False


@needs_capture
def test_capture_rental_in_delft_offered_from_amsterdam_is_located_in_delft() -> None:
    rental = by_id(capture())["a1527120676"]
    assert (rental.location, rental.extra["seller_location"], rental.price) == ("Delft", "Amsterdam", Decimal("850.00"))


@needs_capture
def test_capture_without_its_next_data_is_changed_markup_not_a_block() -> None:
    """The page mentions consent (its consent manager's settings) without being a consent page."""
    body = CAPTURE.read_text(encoding="utf-8").replace('id="__NEXT_DATA__"', 'id="__NEXT_DATA_RENAMED__"')
    with pytest.raises(ScanError) as caught:
        MarktplaatsAdapter().parse(body)
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED
