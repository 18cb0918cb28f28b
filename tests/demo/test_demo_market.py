"""The demo market: a stable, moving catalogue served over real HTTP, failing on request."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from protego import Protego

from demo_market import DemoMarket, catalogue
from demo_market.catalogue import DemoListing
from models.tables import Condition
from scanner.marketplaces.demo import DemoAdapter
from tests.cli import Cli
from tests.clock import Clock

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ("guitar", "camera", "laptop")


def get(market: DemoMarket, path: str, **kwargs: object) -> requests.Response:
    return requests.get(f"{market.url}{path}", timeout=5, **kwargs)  # type: ignore[arg-type]


def by_id(listings: list[DemoListing]) -> dict[str, DemoListing]:
    return {listing.listing_id: listing for listing in listings}


# --- the catalogue ------------------------------------------------------------------------


def test_the_same_query_time_and_seed_give_the_same_page(market: DemoMarket, clock: Clock) -> None:
    first = get(market, "/search?q=guitar&page=2").text
    catalogue._traits.cache_clear()  # noqa: SLF001  (a fresh process would start with it empty)
    with DemoMarket(clock=clock) as other:
        assert get(other, "/search?q=guitar&page=2").text.replace(other.url, market.url) == first


def test_the_catalogue_does_not_depend_on_the_process(clock: Clock) -> None:
    """Seeds are strings hashed by `random`, not `hash()`: another interpreter sees the same market."""
    script = (
        "import sys, datetime, hashlib; from demo_market import catalogue;"
        "now = datetime.datetime.fromisoformat(sys.argv[1]);"
        "print(hashlib.sha256(repr(catalogue.search('camera', now)).encode()).hexdigest())"
    )
    here = hashlib.sha256(repr(catalogue.search("camera", clock.now)).encode()).hexdigest()
    there = subprocess.run(
        [sys.executable, "-c", script, clock.now.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert there.stdout.strip() == here


def test_another_seed_is_another_market(clock: Clock) -> None:
    titles = [listing.title for listing in catalogue.search("guitar", clock.now, seed=0)]
    assert [listing.title for listing in catalogue.search("guitar", clock.now, seed=7)] != titles


@pytest.mark.parametrize("query", QUERIES)
def test_each_query_has_dozens_of_listings_at_any_time(clock: Clock, query: str) -> None:
    counts = [len(catalogue.search(query, clock.now + timedelta(hours=hours))) for hours in range(0, 24 * 7, 7)]
    assert min(counts) >= 36, counts


@pytest.mark.parametrize("query", QUERIES)
def test_most_listings_ask_near_the_market_price_and_a_few_are_deals(clock: Clock, query: str) -> None:
    priced = [
        listing
        for hours in range(0, 48, 6)
        for listing in catalogue.search(query, clock.now + timedelta(hours=hours))
        if listing.price and listing.junk is None
    ]
    ratios = [listing.price / listing.market_price for listing in priced]  # type: ignore[operator]
    near = sum(Decimal("0.75") <= ratio <= Decimal("1.25") for ratio in ratios)
    deals = sum(ratio < Decimal("0.7") for ratio in ratios)
    assert near >= 0.75 * len(ratios)
    assert 0.02 * len(ratios) <= deals <= 0.2 * len(ratios)


def test_new_listings_appear_every_few_minutes(clock: Clock) -> None:
    before = by_id(catalogue.listings(clock.now))
    after = by_id(catalogue.listings(clock.now + timedelta(minutes=10)))
    new = after.keys() - before.keys()
    assert 3 <= len(new) <= 12
    assert all(after[listing_id].listed_at > clock.now for listing_id in new)


def test_prices_move_within_minutes_both_ways(clock: Clock) -> None:
    moves = Counter[str]()
    for minutes in range(0, 60, 5):
        before = by_id(catalogue.listings(clock.now + timedelta(minutes=minutes)))
        after = by_id(catalogue.listings(clock.now + timedelta(minutes=minutes + 5)))
        for listing_id in before.keys() & after.keys():
            old, new = before[listing_id].price, after[listing_id].price
            if old is not None and new is not None and old != new:
                moves["down" if new < old else "up"] += 1
    assert moves["down"] >= 12 and moves["up"] >= 2, moves


def test_a_listing_below_its_first_ask_shows_that_ask_struck_out(clock: Clock) -> None:
    cheaper = 0
    for listing in catalogue.listings(clock.now):
        first = catalogue.find(listing.listing_id, listing.listed_at)
        assert first is not None
        if listing.price is not None and first.price is not None and listing.price < first.price:
            assert listing.original_price == first.price
            cheaper += 1
    assert cheaper >= 5


def test_items_sell_stay_shown_as_sold_for_a_while_then_vanish(clock: Clock) -> None:
    before = by_id(catalogue.listings(clock.now))
    later = by_id(catalogue.listings(clock.now + timedelta(minutes=45)))
    newly_sold = [i for i in before.keys() & later.keys() if before[i].status != "sold" and later[i].status == "sold"]
    assert newly_sold
    much_later = by_id(catalogue.listings(clock.now + timedelta(hours=2, minutes=45)))
    assert not much_later.keys() & set(newly_sold)


def test_some_listings_are_pending_before_they_sell(clock: Clock) -> None:
    statuses = Counter(
        listing.status
        for minutes in range(0, 120, 15)
        for listing in catalogue.listings(clock.now + timedelta(minutes=minutes))
    )
    assert statuses["pending"] and statuses["sold"] and statuses["active"] > statuses["sold"]


def test_search_matches_whole_words_of_the_title_in_any_case(clock: Clock) -> None:
    guitars = catalogue.search("guitar", clock.now)
    fenders = catalogue.search("FENDER Guitar", clock.now)
    assert fenders and set(fenders) < set(guitars)
    assert all("fender" in listing.title.casefold() for listing in fenders)
    assert catalogue.search("guit", clock.now) == []
    assert catalogue.search("日本製", clock.now) or catalogue.search("français", clock.now)


def test_needs_an_aware_time(clock: Clock) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        catalogue.listings(clock.now.replace(tzinfo=None))


# --- the pages ------------------------------------------------------------------------------


def test_results_are_paged_with_a_next_link_until_the_last_page(market: DemoMarket, clock: Clock) -> None:
    expected = [listing.listing_id for listing in catalogue.search("camera", clock.now)]
    seen: list[str] = []
    path: str | None = "/search?q=camera"
    pages = 0
    while path is not None:
        soup = BeautifulSoup(get(market, path).text, "lxml")
        cards = soup.select("li.dm-card")
        assert len(cards) == (20 if len(expected) - len(seen) >= 20 else len(expected) - len(seen))
        seen += [str(card["data-listing-id"]) for card in cards]
        following = soup.select_one("a[rel=next]")
        path = str(following["href"]) if following else None
        pages += 1
    assert seen == expected
    assert pages == -(-len(expected) // 20)


def test_a_page_past_the_end_says_no_more_results(market: DemoMarket) -> None:
    soup = BeautifulSoup(get(market, "/search?q=camera&page=99").text, "lxml")
    assert soup.select("li.dm-card") == []
    assert "No more results" in soup.select_one(".dm-empty").get_text()  # type: ignore[union-attr]


def test_an_unknown_query_gets_a_genuine_no_results_page(market: DemoMarket) -> None:
    response = get(market, "/search?q=harpsichord")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "lxml")
    assert soup.select_one("main.dm-results")["data-total"] == "0"  # type: ignore[index]
    assert "No results for “harpsichord”" in soup.select_one(".dm-empty").get_text()  # type: ignore[union-attr]
    assert soup.select_one(".dm-end") is not None


def test_price_and_condition_filters_are_applied_by_the_market(market: DemoMarket, clock: Clock) -> None:
    soup = BeautifulSoup(get(market, "/search?q=guitar&min_price=300&max_price=900&condition=used").text, "lxml")
    expected = catalogue.search(
        "guitar", clock.now, min_price=Decimal(300), max_price=Decimal(900), condition=Condition.USED
    )
    assert soup.select_one("main.dm-results")["data-total"] == str(len(expected))  # type: ignore[index]
    assert expected and all(300 <= listing.price <= 900 for listing in expected)  # type: ignore[operator]
    assert "min_price=300" in str(soup.select_one("a[rel=next]") or soup.select_one("link[rel=canonical]"))


@pytest.mark.parametrize(
    "query", ["page=0", "page=two", "min_price=cheap", "max_price=-5", "condition=mint", "fail=nope"]
)
def test_a_bad_parameter_is_a_400(market: DemoMarket, query: str) -> None:
    assert get(market, f"/search?q=guitar&{query}").status_code == 400


def test_the_item_page_shows_the_listing_with_json_ld(market: DemoMarket, clock: Clock) -> None:
    listing = next(item for item in catalogue.search("laptop", clock.now) if item.price_kind == "fixed")
    response = get(market, f"/item/{listing.listing_id}")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "lxml")
    assert soup.select_one("h1").get_text() == listing.title  # type: ignore[union-attr]
    product = json.loads(soup.select_one("script[type='application/ld+json']").string)  # type: ignore[union-attr,arg-type]
    assert product["@type"] == "Product" and product["name"] == listing.title
    assert product["image"] == f"{market.url}/img/{listing.listing_id}.svg"
    assert product["offers"]["@type"] == "Offer"
    assert Decimal(product["offers"]["price"]) == listing.price
    assert product["offers"]["priceCurrency"] == "USD"


def test_a_price_range_is_an_aggregate_offer_in_json_ld(market: DemoMarket, clock: Clock) -> None:
    listing = next(item for item in catalogue.listings(clock.now) if item.price_kind == "range")
    soup = BeautifulSoup(get(market, f"/item/{listing.listing_id}").text, "lxml")
    offer = json.loads(soup.select_one("script[type='application/ld+json']").string)["offers"]  # type: ignore[union-attr,arg-type]
    assert offer["@type"] == "AggregateOffer"
    assert (Decimal(offer["lowPrice"]), Decimal(offer["highPrice"])) == (listing.price, listing.price_high)


def test_a_vanished_listing_is_gone_and_an_unknown_one_not_found(market: DemoMarket, clock: Clock) -> None:
    listing = catalogue.listings(clock.now)[-1]
    clock.advance(hours=7)
    assert get(market, f"/item/{listing.listing_id}").status_code == 410
    assert get(market, "/item/G999999999").status_code == 404
    assert get(market, "/item/nonsense").status_code == 404


def test_pictures_are_small_svgs_for_any_listing_id(market: DemoMarket, clock: Clock) -> None:
    listing = catalogue.listings(clock.now)[0]
    response = get(market, f"/img/{listing.listing_id}.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.text.startswith("<svg") and len(response.content) < 4000
    assert get(market, "/img/nonsense.svg").status_code == 404


def test_robots_txt_allows_search_and_items_and_keeps_out_of_admin(market: DemoMarket) -> None:
    robots = Protego.parse(get(market, "/robots.txt").text)
    assert robots.can_fetch(f"{market.url}/search?q=guitar", "DealScout")
    assert robots.can_fetch(f"{market.url}/item/G1", "DealScout")
    assert not robots.can_fetch(f"{market.url}/admin/users", "DealScout")
    assert get(market, "/admin").status_code == 403


def test_the_index_links_the_queries_it_answers(market: DemoMarket) -> None:
    links = {a["href"] for a in BeautifulSoup(get(market, "/").text, "lxml").select("a[href^='/search']")}
    assert links == {f"/search?q={query}" for query in QUERIES}


def test_requests_are_counted_per_path(market: DemoMarket) -> None:
    for path in ("/search?q=guitar", "/search?q=camera&page=2", "/search?fail=500", "/robots.txt"):
        get(market, path)
    assert market.hits("/search") == 3
    assert market.hit_counts() == {"/search": 3, "/robots.txt": 1}


# --- posted listings ------------------------------------------------------------------------


def test_a_posted_listing_leads_its_searches_from_the_moment_it_is_posted(market: DemoMarket, clock: Clock) -> None:
    posted = market.post("guitar", Decimal(199))
    cards = BeautifulSoup(get(market, "/search?q=guitar").text, "lxml").select("li.dm-card")
    assert cards[0]["data-listing-id"] == posted.listing_id == "P1"
    assert cards[0].select_one(".dm-price").get_text() == "$199.00"  # type: ignore[union-attr]
    assert posted.listed_at == clock.now and posted.status == "active"
    assert "P1" not in get(market, "/search?q=camera").text


def test_a_posted_listing_is_found_by_the_demo_adapter_like_any_other(market: DemoMarket) -> None:
    posted = market.post("laptop", Decimal(300), family=2)
    found = DemoAdapter(market.url).parse(get(market, "/search?q=laptop").text, source_url=market.url)
    assert (found[0].external_id, found[0].title, found[0].price) == ("P1", posted.title, Decimal(300))
    assert found[0].url == f"{market.url}/item/P1"


def test_a_posted_listing_has_its_own_page_and_picture(market: DemoMarket) -> None:
    posted = market.post("camera", Decimal(500))
    page = BeautifulSoup(get(market, "/item/P1").text, "lxml")
    assert page.select_one("h1").get_text() == posted.title  # type: ignore[union-attr]
    assert get(market, "/img/P1.svg").text.startswith("<svg")


def test_a_posted_listing_is_not_on_the_market_before_its_time(market: DemoMarket, clock: Clock) -> None:
    market.post("guitar", Decimal(199))
    clock.advance(minutes=-1)
    assert "P1" not in get(market, "/search?q=guitar").text
    assert get(market, "/item/P1").status_code == 404


def test_each_posted_listing_gets_the_next_id_and_is_a_deal_only_when_priced_like_one(market: DemoMarket) -> None:
    cheap, dear = market.post("guitar", Decimal(199)), market.post("guitar", Decimal(649))
    assert (cheap.listing_id, dear.listing_id) == ("P1", "P2")
    assert cheap.market_price == dear.market_price == Decimal(650)
    assert cheap.is_deal and not dear.is_deal


@pytest.mark.parametrize(("category", "family", "price"), [("harpsichord", 0, 1), ("guitar", 99, 1), ("guitar", 0, -1)])
def test_posting_something_the_market_does_not_sell_is_refused(
    market: DemoMarket, category: str, family: int, price: int
) -> None:
    with pytest.raises(ValueError):
        market.post(category, Decimal(price), family=family)


# --- failures -------------------------------------------------------------------------------


def test_429_says_when_to_come_back(market: DemoMarket) -> None:
    response = get(market, "/search?q=guitar&fail=429")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(market.retry_after)


def test_500_is_a_server_error(market: DemoMarket) -> None:
    assert get(market, "/search?q=guitar&fail=500").status_code == 500


def test_timeout_holds_the_answer_past_the_read_timeout(market: DemoMarket) -> None:
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{market.url}/search?q=guitar&fail=timeout", timeout=(2, 0.3))
    assert time.monotonic() - started < market.hang_seconds


def test_latency_delays_the_answer(clock: Clock) -> None:
    with DemoMarket(clock=clock, latency=0.2) as market:
        started = time.monotonic()
        response = get(market, "/search?q=guitar&latency_ms=150")
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.35


def test_truncate_cuts_the_page_mid_document(market: DemoMarket) -> None:
    whole = get(market, "/search?q=guitar").text
    cut = get(market, "/search?q=guitar&fail=truncate").text
    assert 0 < len(cut) < len(whole) and whole.startswith(cut)
    assert "dm-end" not in cut


def test_markup_mode_shows_the_same_data_under_other_class_names(market: DemoMarket) -> None:
    classic = BeautifulSoup(get(market, "/search?q=guitar").text, "lxml")
    changed = BeautifulSoup(get(market, "/search?q=guitar&fail=markup").text, "lxml")
    assert changed.select("li.dm-card") == [] and changed.select_one(".dm-results") is None
    titles = [a.get_text() for a in classic.select(".dm-card__title a")]
    assert [a.get_text() for a in changed.select(".tile-name a")] == titles


def test_a_fail_rate_fails_that_share_of_searches_only(clock: Clock) -> None:
    with DemoMarket(clock=clock, fail_rate=0.5, fail_mode="500", seed=3) as market:
        statuses = Counter(get(market, "/search?q=guitar").status_code for _ in range(40))
        assert set(statuses) == {200, 500} and 10 <= statuses[500] <= 30
        assert {get(market, "/robots.txt").status_code for _ in range(10)} == {200}


def test_bad_failure_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="needs a fail_mode"):
        DemoMarket(fail_rate=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        DemoMarket(fail_rate=1.5, fail_mode="500")


# --- the command ----------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_command_serves_until_stopped(stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "demo-market", "--port", "0", "--seed", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()  # type: ignore[union-attr]
        url = banner.split()[3]
        assert banner.startswith("Demo market on http://127.0.0.1:")
        assert "dm-card" in requests.get(f"{url}/search?q=laptop", timeout=5).text
    finally:
        process.send_signal(stop_signal)
        process.wait(timeout=10)
    assert process.returncode == 0
    assert "stopping" in process.stdout.read()  # type: ignore[union-attr]


def test_the_command_wants_a_mode_with_a_rate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = Cli(monkeypatch, capsys)("demo-market", "--fail-rate", "0.2")
    assert result.returncode == 2
    assert result.stderr == "error: --fail-rate needs --fail-mode (one of 429, 500, timeout, truncate, markup)\n"
