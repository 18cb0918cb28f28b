"""The craigslist adapter: the sapi JSON answer, both forms of the results page, their awkward
rows, and the requests `search()` makes from a saved search (sapi first, the page as fallback)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.craigslist import SAPI_URL, CraigslistAdapter, parse_sapi
from scanner.marketplaces.craigslist_areas import AreaDirectory
from tests.marketplaces.fake_http import Call, FakeClient, fixture_text, with_query

TORONTO = "https://toronto.craigslist.org/search/sss"

#: Searches here reach the sapi of the sites known for certain and no other: no area list is fetched.
KNOWN_AREAS_ONLY = AreaDirectory(fetch=False)


def parse(name: str, source_url: str | None = None) -> list[ListingData]:
    return CraigslistAdapter().parse(fixture_text(f"craigslist/{name}"), source_url=source_url)


def by_id(listings: list[ListingData]) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in listings}


def test_registry_gives_the_craigslist_adapter() -> None:
    assert isinstance(get_adapter("craigslist"), CraigslistAdapter)


# --- the static no-JS list -----------------------------------------------------------------------


def test_static_row_gives_title_price_location_and_canonical_url() -> None:
    norco = by_id(parse("static_toronto_page1.html"))["7712345601"]
    assert norco.title == "Norco road bike 54cm"
    assert norco.price == Decimal("450")
    assert norco.location == "Toronto"
    assert norco.url == "https://toronto.craigslist.org/tor/bik/d/toronto-norco-road-bike-54cm/7712345601.html"
    assert norco.status == "active"


def test_see_also_row_is_not_a_listing() -> None:
    assert [listing.external_id for listing in parse("static_toronto_page1.html")] == [
        "7712345601",
        "Xq3_k9-ZpL2mWv7RtY1aBc",
        "7712345603",
    ]


def test_view_url_gives_its_token_as_id_and_loses_tracking_parameters() -> None:
    kids_bike = parse("static_toronto_page1.html")[1]
    assert kids_bike.external_id == "Xq3_k9-ZpL2mWv7RtY1aBc"
    assert (
        kids_bike.url == "https://toronto.craigslist.org/view/d/etobicoke-kids-bike-fahrrad-fur/Xq3_k9-ZpL2mWv7RtY1aBc"
    )


def test_titles_keep_non_ascii_text_and_decode_entities() -> None:
    titles = [listing.title for listing in parse("static_toronto_page1.html")]
    assert titles[1] == "Kids bike – Fahrrad für Kinder ä 日本語 🚲"
    assert titles[2] == "Tom & Jerry's tandem bike"


@pytest.mark.parametrize(
    ("fixture", "external_id"),
    [("static_toronto_page1.html", "7712345603"), ("static_toronto_page2.html", "7712345605")],
    ids=["empty price element", "no price element"],
)
def test_row_without_a_price_has_price_none(fixture: str, external_id: str) -> None:
    assert by_id(parse(fixture))[external_id].price is None


def test_canadian_city_site_prices_are_in_canadian_dollars() -> None:
    assert {listing.currency for listing in parse("static_toronto_page2.html")} == {"CAD"}


def test_aligned_json_ld_adds_image_postal_code_and_coordinates() -> None:
    norco = parse("static_toronto_page1.html")[0]
    assert norco.image_url == "https://images.craigslist.org/00a0a_fixtureNorco_600x450.jpg"
    assert norco.extra["postal_code"] == "M6J 1E6"
    assert (norco.extra["latitude"], norco.extra["longitude"]) == (43.6465, -79.4196)


# --- the rendered gallery cards ----------------------------------------------------------------


def test_rendered_card_gives_pid_price_location_age_distance_and_image() -> None:
    trek = parse("rendered_gallery_boston.html")[0]
    assert trek.external_id == "7712340001"
    assert trek.title == "Trek FX 3 hybrid"
    assert trek.price == Decimal("650")
    assert trek.currency == "USD"
    assert trek.location == "Somerville"
    assert trek.extra["posted"] == "3 mins ago"
    assert trek.extra["distance_mi"] == Decimal("2.4")
    assert trek.image_url == "https://images.craigslist.org/00t0t_trekFx3_0CI0t2_300x300.jpg"
    assert trek.url == "https://boston.craigslist.org/gbs/bik/d/somerville-trek-fx-hybrid/7712340001.html"


def test_placeholder_card_is_skipped_and_the_hidden_static_list_ignored() -> None:
    assert [listing.external_id for listing in parse("rendered_gallery_boston.html")] == [
        "7712340001",
        "7712340002",
        "7712340003",
        "7712340004",
        "7712340005",
    ]


def test_card_without_price_or_loaded_image_has_none_for_both() -> None:
    pump = by_id(parse("rendered_gallery_boston.html"))["7712340003"]
    assert (pump.price, pump.image_url) == (None, None)


def test_image_of_a_browser_saved_page_maps_back_to_the_image_host() -> None:
    balance_bike = by_id(parse("rendered_gallery_boston.html"))["7712340005"]
    assert balance_bike.image_url == "https://images.craigslist.org/00k0k_balanceBike_0CI0t2_300x300.jpg"
    assert balance_bike.title == "Kid's balance bike"


def test_unaligned_json_ld_fills_in_a_card_whose_title_and_price_match_one_entry() -> None:
    brompton = by_id(parse("rendered_gallery_boston.html"))["7712340002"]
    assert brompton.image_url == "https://images.craigslist.org/00b0b_bromptonA_600x450.jpg"
    assert brompton.extra["postal_code"] == "02139"


@pytest.mark.parametrize(
    "external_id", ["7712340003", "7712340004"], ids=["title on two entries", "entry price differs"]
)
def test_unaligned_json_ld_leaves_ambiguous_cards_alone(external_id: str) -> None:
    card = by_id(parse("rendered_gallery_boston.html"))[external_id]
    assert card.image_url is None
    assert "postal_code" not in card.extra


# --- pages without listings --------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["static_zero_results.html", "rendered_zero_results.html"])
def test_genuine_zero_result_page_is_an_empty_list(fixture: str) -> None:
    assert parse(fixture) == []


@pytest.mark.parametrize("fixture", ["changed_markup.html", "static_unreadable_rows.html"])
def test_page_it_cannot_read_is_markup_changed_not_zero_results(fixture: str) -> None:
    with pytest.raises(ScanError) as raised:
        parse(fixture)
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


def test_block_notice_answered_with_200_is_a_blocked_error() -> None:
    with pytest.raises(ScanError) as raised:
        parse("blocked.html")
    assert raised.value.error_class is ErrorClass.BLOCKED


def test_page_holding_results_is_never_a_block_notice() -> None:
    page = fixture_text("craigslist/static_toronto_page1.html").replace(
        "</body>", "<p>Posting 7712345601 has been automatically blocked from the map.</p></body>"
    )
    assert len(CraigslistAdapter().parse(page)) == 3


@pytest.mark.parametrize("body", ["", "\x00\x01garbage", "<html><body><ol><li>", '{"not": "html"}'])
def test_junk_is_a_scan_error_never_a_crash(body: str) -> None:
    with pytest.raises(ScanError):
        CraigslistAdapter().parse(body)


# --- search(): the requests built from a saved search ------------------------------------------


def pages(*names: str) -> FakeClient:
    """A craigslist that serves the named pages in order of `s=` offset (first page has none)."""
    offsets: dict[int, str] = {}

    def answer(call: Call) -> tuple[str, str]:
        offset = int(str(call.params.get("s", 0)))
        offsets.setdefault(offset, names[min(len(offsets), len(names) - 1)])
        return fixture_text(f"craigslist/{offsets[offset]}"), with_query(call.url, call.params)

    return FakeClient(answer)


def test_search_asks_the_city_site_with_prices_postal_code_radius_and_condition() -> None:
    client = pages("static_zero_results.html")
    query = SearchQuery(
        query="road bike",
        min_price=Decimal("100.50"),
        max_price=Decimal("450.25"),
        location="boston 02139",
        radius_miles=10,
        condition="used",
    )
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(query, client)
    assert client.calls[0].url == "https://boston.craigslist.org/search/sss"
    assert client.calls[0].params == {
        "query": "road bike",
        "min_price": "100",
        "max_price": "451",
        "postal": "02139",
        "search_distance": "10",
        "condition": ["20", "30", "40", "50"],
    }


@pytest.mark.parametrize(
    ("category", "path"), [("msa", "/search/msa"), ("33034", "/search/sss"), (None, "/search/sss")]
)
def test_a_category_in_letters_is_the_section_searched(category: str | None, path: str) -> None:
    client = pages("static_zero_results.html")
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="amp", location="boston", category=category), client)
    assert client.calls[0].url == f"https://boston.craigslist.org{path}"


@pytest.mark.parametrize(
    ("location", "url", "postal"),
    [
        ("toronto", "https://toronto.craigslist.org/search/sss", None),
        ("M5V 2T6", "https://www.craigslist.org/search/sss", "M5V 2T6"),
        ("sfbay.craigslist.org", "https://sfbay.craigslist.org/search/sss", None),
        ("https://newyork.craigslist.org/search/mnh/apa", "https://newyork.craigslist.org/search/mnh/apa", None),
    ],
)
def test_search_location_is_a_city_site_a_postal_code_or_a_search_url(
    location: str, url: str, postal: str | None
) -> None:
    client = pages("static_zero_results.html")
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="desk", location=location), client)
    assert client.calls[-1].url == url  # after the sapi request, on sites whose area id is known
    assert client.calls[-1].params.get("postal") == postal


def test_radius_without_a_postal_code_is_not_sent() -> None:
    client = pages("static_zero_results.html")
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="desk", location="boston", radius_miles=25), client)
    assert "search_distance" not in client.calls[0].params


@pytest.mark.parametrize("location", ["www.ebay.com", "york!", "new york"])
def test_location_that_is_not_one_craigslist_site_is_a_configuration_error(location: str) -> None:
    with pytest.raises(ScanError) as raised:
        CraigslistAdapter(KNOWN_AREAS_ONLY).search(
            SearchQuery(query="desk", location=location), pages("static_zero_results.html")
        )
    assert raised.value.error_class is ErrorClass.CONFIGURATION


@pytest.mark.parametrize(
    "location",
    [
        "evilcraigslist.org",
        "https://evilcraigslist.org/search/sss",
        "boston.evilcraigslist.ca",
        "craigslist.org.evil.example",
        "http://[::1",
    ],
)
def test_a_host_that_only_ends_like_craigslist_is_not_a_craigslist_site(location: str) -> None:
    """Issue 20, defect 12: the site check compares whole labels; nothing is requested."""
    client = pages("static_zero_results.html")
    with pytest.raises(ScanError) as raised:
        CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="desk", location=location), client)
    assert raised.value.error_class is ErrorClass.CONFIGURATION
    assert client.calls == []


@pytest.mark.parametrize("location", ["craigslist.org", "boston.craigslist.org", "vancouver.craigslist.ca"])
def test_craigslist_domains_and_their_subdomains_are_craigslist_sites(location: str) -> None:
    client = pages("static_zero_results.html")
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="desk", location=location), client)
    assert urlsplit(client.calls[-1].url).hostname == location


def test_search_pages_by_offset_until_a_page_brings_nothing_new() -> None:
    client = pages("static_toronto_page1.html", "static_toronto_page2.html", "static_zero_results.html")
    listings = CraigslistAdapter(KNOWN_AREAS_ONLY).search(
        SearchQuery(query="bike", location="toronto", max_pages=5), client
    )
    assert [call.params.get("s") for call in client.calls] == [None, 3, 5]
    assert len(listings) == 5
    assert {listing.currency for listing in listings} == {"CAD"}


def test_search_reads_no_more_than_max_pages() -> None:
    client = pages("static_toronto_page1.html", "static_toronto_page2.html", "static_zero_results.html")
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="bike", location="toronto", max_pages=2), client)
    assert len(client.calls) == 2


def test_search_stops_when_the_site_ignores_the_offset() -> None:
    client = FakeClient(lambda call: (fixture_text("craigslist/static_toronto_page1.html"), TORONTO))
    listings = CraigslistAdapter(KNOWN_AREAS_ONLY).search(
        SearchQuery(query="bike", location="toronto", max_pages=5), client
    )
    assert len(client.calls) == 2
    assert len(listings) == 3


@pytest.mark.parametrize(
    "fixture", ["static_toronto_page1.html", "rendered_gallery_boston.html", "sapi_seattle_bik.json"]
)
def test_page_cut_off_anywhere_is_read_or_a_scan_error(fixture: str) -> None:
    body = fixture_text(f"craigslist/{fixture}")
    for end in range(0, len(body), max(1, len(body) // 40)):
        try:
            listings = CraigslistAdapter().parse(body[:end])
        except ScanError:
            continue
        assert all(isinstance(listing, ListingData) for listing in listings)


# --- the sapi JSON answer --------------------------------------------------------------------------


def sapi_answer(**data: object) -> str:
    """The sapi fixture with some of its `data` fields replaced."""
    answer = json.loads(fixture_text("craigslist/sapi_seattle_bik.json"))
    answer["data"].update(data)
    return json.dumps(answer)


def test_sapi_item_gives_every_field() -> None:
    trek = by_id(parse("sapi_seattle_bik.json"))["7800001234"]
    assert trek.title == "Trek FX 3 hybrid bike, 56cm"
    assert (trek.price, trek.currency) == (Decimal(650), "USD")
    assert trek.url == "https://seattle.craigslist.org/see/bik/d/seattle-trek-fx-hybrid-bike/7800001234.html"
    assert trek.image_url == "https://images.craigslist.org/00a0a_kP2xQvR7sTu_0CI0t2_600x450.jpg"
    assert trek.location == "Capitol Hill"
    assert trek.extra == {
        "posted_at": "2026-01-01T02:00:00+00:00",
        "latitude": Decimal("47.6231"),
        "longitude": Decimal("-122.3198"),
        "bedrooms": 0,
        "image_urls": [
            "https://images.craigslist.org/00a0a_kP2xQvR7sTu_0CI0t2_600x450.jpg",
            "https://images.craigslist.org/00b0b_zY8wX6vU4tS_0t20CI_600x450.jpg",
        ],
    }


def test_sapi_items_without_images_or_coordinates_in_other_subareas() -> None:
    listings = by_id(parse("sapi_seattle_bik.json"))
    free = listings["7800001000"]
    assert (free.title, free.price, free.image_url, free.location) == (
        "Free kids balance bike",
        Decimal(0),
        None,
        "Ballard / Fremont",
    )
    assert free.url == "https://seattle.craigslist.org/see/bik/d/seattle-free-kids-balance-bike/7800001000.html"
    assert free.extra == {
        "posted_at": "2026-01-01T01:00:00+00:00",
        "latitude": Decimal("47.6687"),
        "longitude": Decimal("-122.3835"),
    }
    schwinn = listings["7800000500"]  # a location without subarea, no coordinates, no price
    assert schwinn.title == "Vintage Schwinn cruiser – çà marche"
    assert schwinn.url == "https://seattle.craigslist.org/bik/d/tacoma-vintage-schwinn-cruiser/7800000500.html"
    assert (schwinn.price, schwinn.location, schwinn.extra) == (
        None,
        "Tacoma",
        {"posted_at": "2026-01-01T00:01:00+00:00"},
    )
    cannondale = listings["7800000042"]
    assert cannondale.url == "https://seattle.craigslist.org/tac/bik/d/tacoma-cannondale-road-bike/7800000042.html"
    assert (cannondale.price, cannondale.image_url) == (
        Decimal(1200),
        "https://images.craigslist.org/00c0c_mN5bV3cX1zA_05r07g_600x450.jpg",
    )


def test_sapi_malformed_item_is_left_out_alone() -> None:
    assert [listing.external_id for listing in parse("sapi_seattle_bik.json")] == [
        "7800001234",
        "7800001000",
        "7800000500",
        "7800000042",
    ]


def test_sapi_aggregate_section_links_the_view_url() -> None:
    trek = by_id(parse_sapi(sapi_answer(categoryAbbr="sss")))["7800001234"]
    assert trek.url == "https://seattle.craigslist.org/view/d/seattle-trek-fx-hybrid-bike/aB3dE5fG7hJ9kL1mN3pQ5r"


def test_sapi_currency_falls_back_to_the_site_country() -> None:
    answer = json.loads(sapi_answer(areas={}))
    answer["data"]["decode"]["locations"] = [0, [16, "vancouver", "van"]]
    assert {listing.currency for listing in parse_sapi(json.dumps(answer))} == {"CAD"}


def test_sapi_answer_without_results_is_an_empty_list() -> None:
    assert parse_sapi(sapi_answer(items=[])) == []


@pytest.mark.parametrize("body", ["{}", '{"data": {}}', '{"data": {"items": null}}', sapi_answer(items=[[1, 2], "x"])])
def test_sapi_answer_without_readable_items_is_markup_changed(body: str) -> None:
    with pytest.raises(ScanError) as raised:
        CraigslistAdapter().parse(body)
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


def sapi_then_pages(sapi: str | ScanError, *names: str) -> FakeClient:
    """A craigslist whose sapi gives `sapi` (a body, or a failure raised) and pages `names`."""
    pages_client = pages(*names) if names else None

    def answer(call: Call) -> tuple[str, str]:
        if call.url != SAPI_URL:
            assert pages_client is not None
            return pages_client.answer(call)
        if isinstance(sapi, ScanError):
            raise sapi
        return sapi, with_query(call.url, call.params)

    return FakeClient(answer)


def test_search_asks_sapi_for_the_area_section_and_filters_first() -> None:
    client = sapi_then_pages(fixture_text("craigslist/sapi_seattle_bik.json"))
    query = SearchQuery(query="bike", location="seattle", category="bik", min_price=Decimal(100), max_pages=3)
    listings = CraigslistAdapter(KNOWN_AREAS_ONLY).search(query, client)
    assert [(call.url, call.params) for call in client.calls] == [
        (
            SAPI_URL,
            {
                "batch": "2-0-360-0-0",
                "cc": "US",
                "lang": "en",
                "searchPath": "bik",
                "query": "bike",
                "min_price": "100",
            },
        )
    ]
    assert len(listings) == 4


def test_sapi_search_path_keeps_the_subarea() -> None:
    client = sapi_then_pages(sapi_answer(items=[]))
    CraigslistAdapter(KNOWN_AREAS_ONLY).search(
        SearchQuery(query="loft", location="https://newyork.craigslist.org/search/mnh/apa"), client
    )
    assert client.calls[0].params["batch"] == "3-0-360-0-0"
    assert client.calls[0].params["searchPath"] == "mnh/apa"


@pytest.mark.parametrize(
    "sapi",
    [ScanError(ErrorClass.HTTP_ERROR, "404 from sapi.craigslist.org"), "<html>not json</html>", '{"data": {}}'],
)
def test_search_falls_back_to_the_pages_when_sapi_fails(
    sapi: str | ScanError, caplog: pytest.LogCaptureFixture
) -> None:
    client = sapi_then_pages(sapi, "static_toronto_page1.html", "static_zero_results.html")
    with caplog.at_level(logging.WARNING, logger="scanner.marketplaces.craigslist"):
        listings = CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="bike", location="vancouver"), client)
    assert [urlsplit(call.url).netloc for call in client.calls] == [
        "sapi.craigslist.org",
        "vancouver.craigslist.org",
        "vancouver.craigslist.org",
    ]
    assert len(listings) == 3
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "craigslist sapi failed" in caplog.records[0].getMessage()


@pytest.mark.parametrize("error_class", [ErrorClass.FORBIDDEN, ErrorClass.RATE_LIMITED])
def test_sapi_block_or_rate_limit_is_not_retried_on_the_pages(error_class: ErrorClass) -> None:
    client = sapi_then_pages(ScanError(error_class, "no"), "static_toronto_page1.html")
    with pytest.raises(ScanError) as raised:
        CraigslistAdapter(KNOWN_AREAS_ONLY).search(SearchQuery(query="bike", location="vancouver"), client)
    assert raised.value.error_class is error_class
    assert len(client.calls) == 1
