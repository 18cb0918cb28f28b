"""The structured-data adapter: a single product page read from JSON-LD, microdata or
OpenGraph, and the guard that keeps it from fetching anything but public http(s) addresses."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from models.settings import load_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.http import PoliteClient, RobotsCache
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.jsonld import JsonLdAdapter
from scanner.ratelimit import LocalRateLimiter
from tests.marketplaces.fake_http import FakeClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jsonld"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse(name: str, source_url: str = "https://shop.example/watched?utm_source=newsletter") -> ListingData:
    [listing] = JsonLdAdapter(load_settings()).parse(fixture(name), source_url=source_url)
    return listing


def serving(body: str) -> FakeClient:
    """A client that answers every GET with `body` from the URL asked for."""
    return FakeClient(lambda call: (body, call.url))


def test_the_registry_builds_the_adapter_with_the_configured_settings() -> None:
    assert isinstance(get_adapter("jsonld"), JsonLdAdapter)


def test_json_ld_product_with_an_offer() -> None:
    listing = parse("product_offer.html")
    assert listing.title == "Sony WH-1000XM5 Wireless Noise Cancelling Headphones & Case – Black"
    assert (listing.price, listing.currency, listing.status) == (Decimal("279.99"), "USD", "active")
    assert (listing.shipping, listing.condition, listing.seller) == (Decimal(0), "new", "Northwind Audio")
    assert listing.extra == {"sku": "WH1000XM5-B", "brand": "Sony"}


def test_a_higher_opengraph_price_of_the_same_page_is_neither_the_price_nor_the_regular_one() -> None:
    listing = parse("product_offer.html")  # og says 329.00
    assert (listing.price, listing.original_price) == (Decimal("279.99"), None)


@pytest.mark.parametrize("name", ["sale_og_sale_price.html", "sale_original_price.html"])
def test_on_sale_the_price_is_the_one_a_buyer_pays_now_not_the_stale_json_ld_one(name: str) -> None:
    listing = parse(name)  # JSON-LD says 150.00; the page's own price tags 120.00, regular 150.00
    assert (listing.price, listing.original_price, listing.currency) == (Decimal("120.00"), Decimal("150.00"), "EUR")


def test_a_zero_price_tag_beside_a_real_price_is_a_placeholder_not_the_price() -> None:
    page = (
        '<meta property="product:price:amount" content="0.00"><meta property="product:price:currency" content="EUR">'
        '<script type="application/ld+json">{"@type": "Product", "name": "Kettle", '
        '"offers": {"price": "119.00", "priceCurrency": "EUR"}}</script>'
    )
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/kettle")
    assert (listing.price, listing.currency) == (Decimal("119.00"), "EUR")


def test_a_price_in_another_currency_is_not_compared_with_the_listings() -> None:
    page = (
        '<meta property="product:price:amount" content="99.00"><meta property="product:price:currency" content="USD">'
        '<script type="application/ld+json">{"@type": "Product", "name": "Kettle", '
        '"offers": {"price": "119.00", "priceCurrency": "EUR"}}</script>'
    )
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/kettle")
    assert (listing.price, listing.currency) == (Decimal("119.00"), "EUR")


def test_canonical_url_without_tracking_is_url_and_external_id() -> None:
    listing = parse("product_offer.html")
    assert listing.url == "https://shop.northwind-audio.example/products/sony-wh-1000xm5-black"
    assert listing.external_id == listing.url


def test_relative_image_and_canonical_link_resolve_against_the_page() -> None:
    assert (
        parse("product_offer.html").image_url
        == "https://shop.northwind-audio.example/cdn/shop/files/wh1000xm5-black-1.jpg?v=1712"
    )
    assert parse("product_graph_aggregate.html", "https://radwerk.example/p/hammerhead-karoo-3?ref=feed").url == (
        "https://radwerk.example/p/hammerhead-karoo-3"
    )


def test_graph_product_with_aggregate_offer_uses_the_low_price_and_pre_order_is_pending() -> None:
    listing = parse("product_graph_aggregate.html")
    assert listing.title == "Hammerhead Karoo 3 – GPS-Fahrradcomputer mit Kartennavigation (Größe: Einheitsgröße)"
    assert (listing.price, listing.currency, listing.status) == (Decimal("449.0"), "EUR", "pending")
    assert listing.image_url == "https://cdn.radwerk.example/img/karoo-3-front.webp"


def test_list_of_offers_takes_the_cheapest_in_stock_with_its_strikethrough_price() -> None:
    listing = parse("product_list_offers.html")
    assert listing.title == "Veste imperméable « Tempête » – Homme"
    assert (listing.price, listing.original_price, listing.currency) == (Decimal("129.00"), Decimal("189.00"), "EUR")
    assert listing.status == "active"


def test_microdata_product_ignores_the_reviews_name_and_reads_out_of_stock_as_sold() -> None:
    listing = parse("product_microdata.html")
    assert listing.title == "Brompton C Line Explore 6-Speed – Racing Green"
    assert (listing.price, listing.currency, listing.status, listing.condition) == (
        Decimal("1525.00"),
        "GBP",
        "sold",
        "new",
    )
    assert listing.url == "https://shop.example/watched"  # no canonical link: the watched URL, untracked


def test_offer_microdata_without_a_product_item_is_read_despite_the_header_login_box() -> None:
    listing = parse("offer_microdata_header_login.html")
    assert listing.title == "Ridgeline 38L Hiking Pack – Slate"  # not the reviewer's name
    assert (listing.price, listing.currency, listing.status, listing.condition) == (
        Decimal("189.00"),
        "CAD",
        "active",
        "new",
    )
    assert listing.image_url == "https://shop.example/media/ridgeline-38-slate.jpg"
    assert listing.extra == {"sku": "RDG-38-SLT"}


def test_offer_microdata_takes_the_loose_name_closest_to_it() -> None:
    listing = parse("offer_microdata_loose_name.html")
    assert listing.title == "A5 Dot-Grid Notebook, Linen Cover – Sage"  # not the page's, og's or seller's name
    assert (listing.price, listing.currency, listing.status) == (Decimal("14.50"), "GBP", "active")


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        ('<meta property="og:title" content="Kettle, Brushed Steel">', "<h1>Kettle</h1>", "Kettle, Brushed Steel"),
        ("<title>Kettle | Shop</title>", "<h1>Kettle</h1>", "Kettle"),
        ("<title>Kettle | Shop</title>", "", "Kettle | Shop"),
    ],
)
def test_a_product_without_a_name_is_named_by_og_title_then_the_heading_then_the_window_title(
    head: str, body: str, title: str
) -> None:
    offer = '<div itemscope itemtype="https://schema.org/Offer"><meta itemprop="price" content="35"></div>'
    page = f"<html><head>{head}</head><body>{body}{offer}</body></html>"
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/kettle")
    assert (listing.title, listing.price) == (title, Decimal(35))


def test_opengraph_sale_price_is_the_price_and_the_regular_one_the_original() -> None:
    listing = parse("product_opengraph.html")
    assert (listing.price, listing.original_price, listing.status) == (Decimal("54.40"), Decimal("68.00"), "active")
    assert listing.url == "https://kilnandco.example/shop/ceramic-pour-over-set?variant=4410"
    assert listing.image_url == "https://kilnandco.example/media/pour-over-speckled.jpg"


@pytest.mark.parametrize(
    ("name", "price", "currency"),
    [("invalid_currency_symbol.html", "249.99", "PLN"), ("invalid_currency_locale.html", "1499.00", "SEK")],
)
def test_a_currency_that_is_no_iso_4217_code_is_told_by_the_prices_symbol_or_the_pages_locale(
    name: str, price: str, currency: str
) -> None:
    listing = parse(name)  # the JSON-LD declares "ABC"
    assert (listing.price, listing.currency) == (Decimal(price), currency)


@pytest.mark.parametrize(
    ("og_currency", "json_ld_currency", "currency"),
    [("EUR", "eur", "EUR"), ("CHF", "ABC", "CHF")],
)
def test_the_currency_is_the_first_declared_iso_4217_code_in_any_case(
    og_currency: str, json_ld_currency: str, currency: str
) -> None:
    page = (
        f'<meta property="og:type" content="product"><meta property="product:price:currency" content="{og_currency}">'
        '<script type="application/ld+json">{"@type": "Product", "name": "Kettle", '
        f'"offers": {{"price": 35, "priceCurrency": "{json_ld_currency}"}}}}</script>'
    )
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/kettle")
    assert listing.currency == currency


def test_an_unknowable_currency_is_null_and_logged_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    page = (
        '<html lang="en"><script type="application/ld+json">{"@type": "Product", "name": "Kettle", '
        '"offers": {"price": "35.00", "priceCurrency": "ABC"}}</script></html>'
    )
    with caplog.at_level(logging.WARNING, logger="scanner.marketplaces.jsonld"):
        [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/kettle")
    assert (listing.price, listing.currency) == (Decimal("35.00"), None)
    assert "no ISO 4217 currency" in caplog.text and "'ABC'" in caplog.text


@pytest.mark.parametrize(
    ("availability", "status"),
    [
        ("https://schema.org/InStock", "active"),
        ("http://schema.org/LimitedAvailability", "active"),
        ("https://schema.org/OutOfStock", "sold"),
        ("https://schema.org/SoldOut", "sold"),
        ("https://schema.org/Discontinued", "sold"),
        ("https://schema.org/PreOrder", "pending"),
        ("BackOrder", "pending"),
    ],
)
def test_availability_becomes_the_status(availability: str, status: str) -> None:
    page = (
        '<script type="application/ld+json">{"@type": "Product", "name": "Kettle", "offers": '
        f'{{"@type": "Offer", "price": 35, "priceCurrency": "USD", "availability": "{availability}"}}}}</script>'
    )
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/kettle")
    assert listing.status == status


def test_product_without_any_price_has_none() -> None:
    page = '<script type="application/ld+json">{"@type": "Product", "name": "Made-to-order table"}</script>'
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/table")
    assert (listing.price, listing.currency) == (None, None)


def test_very_long_canonical_url_gets_a_digest_as_its_id() -> None:
    url = "https://shop.example/p/" + "very-long-product-slug-" * 8
    page = '<script type="application/ld+json">{"@type": "Product", "name": "Lamp"}</script>'
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url=url)
    assert listing.url == url
    assert listing.external_id.startswith("sha256:") and len(listing.external_id) <= 128


def test_page_without_product_data_is_markup_changed() -> None:
    with pytest.raises(ScanError) as raised:
        parse("article_no_product.html")
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


@pytest.mark.parametrize(
    ("name", "source_url", "error_class"),
    [
        ("sign_in_page.html", "https://larchmont.example/products/ridgeline-38", ErrorClass.LOGIN_WALL),
        ("journal_header_login.html", "https://larchmont.example/blogs/journal/hut-trip", ErrorClass.MARKUP_CHANGED),
        ("journal_header_login.html", "https://larchmont.example/account/login?return_to=/p/1", ErrorClass.LOGIN_WALL),
    ],
)
def test_only_a_sign_in_page_without_product_data_is_a_login_wall(
    name: str, source_url: str, error_class: ErrorClass
) -> None:
    with pytest.raises(ScanError) as raised:
        parse(name, source_url)
    assert raised.value.error_class is error_class


def test_a_bot_challenge_answered_with_200_is_blocked() -> None:
    with pytest.raises(ScanError) as raised:
        parse("challenge.html")  # a 200 page: a refused response with a challenge is the HTTP client's CAPTCHA
    assert raised.value.error_class is ErrorClass.BLOCKED


@pytest.mark.parametrize(
    "body", ["", "<html>", "{not json}", '<script type="application/ld+json">{"@type": "Product", </script>']
)
def test_unreadable_input_raises_scan_error_only(body: str) -> None:
    with pytest.raises(ScanError):
        JsonLdAdapter(load_settings()).parse(body, source_url="https://shop.example/p")


def test_search_fetches_the_watched_url() -> None:
    client = serving(fixture("product_offer.html"))
    listings = JsonLdAdapter(load_settings()).search(SearchQuery(" http://93.184.216.34/products/wh-1000xm5 "), client)
    assert [call.url for call in client.calls] == ["http://93.184.216.34/products/wh-1000xm5"]
    assert listings[0].price == Decimal("279.99")


def test_a_redirect_to_a_private_address_is_not_read() -> None:
    client = FakeClient(lambda call: (fixture("product_offer.html"), "http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(ScanError) as raised:
        JsonLdAdapter(load_settings()).search(SearchQuery("http://93.184.216.34/go/wh-1000xm5"), client)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/admin",
        "http://localhost/",
        "http://10.1.2.3/product",
        "http://192.168.1.20/product",
        "http://172.16.0.9/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused_without_a_request(url: str) -> None:
    client = serving("")
    with pytest.raises(ScanError) as raised:
        JsonLdAdapter(load_settings()).search(SearchQuery(url), client)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert client.calls == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://shop.example/p", "gopher://127.0.0.1:70/", "javascript:alert(1)", "shop.example/p"],
)
def test_non_http_urls_are_refused_even_when_private_addresses_are_allowed(url: str) -> None:
    client = serving("")
    with pytest.raises(ScanError) as raised:
        JsonLdAdapter(load_settings(jsonld_allow_private_addresses=True)).search(SearchQuery(url), client)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert client.calls == []


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://shop.example:99999/p",
        "http://shop.example:port/p",
        "http:///p",
        "http://127.0.0.1:8080\\@8.8.8.8/p",
        "http://%31%32%37.0.0.1/p",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_malformed_urls_are_refused_without_a_request(url: str, allow_private: bool) -> None:
    """Issue 20, defect 2: a refusal (not a ValueError), whatever JSONLD_ALLOW_PRIVATE_ADDRESSES says."""
    client = serving("")
    with pytest.raises(ScanError) as raised:
        JsonLdAdapter(load_settings(jsonld_allow_private_addresses=allow_private)).search(SearchQuery(url), client)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert client.calls == []


@pytest.fixture
def local_shop() -> Iterator[str]:
    """A real HTTP server on a free loopback port serving one product page (and no robots.txt)."""
    page = fixture("product_offer.html").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server API names it so
            found = self.path.startswith("/products/")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_shop_on_the_local_network_is_watched_when_private_addresses_are_allowed(local_shop: str) -> None:
    settings = load_settings(jsonld_allow_private_addresses=True)
    client = PoliteClient("jsonld", settings, LocalRateLimiter(6000), robots=RobotsCache())
    [listing] = JsonLdAdapter(settings).search(
        SearchQuery(f"{local_shop}/products/wh-1000xm5?utm_campaign=spring"), client
    )
    assert (listing.title, listing.price) == (
        "Sony WH-1000XM5 Wireless Noise Cancelling Headphones & Case – Black",
        Decimal("279.99"),
    )


def test_the_same_local_shop_is_refused_by_default(local_shop: str) -> None:
    settings = load_settings()
    client = PoliteClient("jsonld", settings, LocalRateLimiter(6000), robots=RobotsCache())
    with pytest.raises(ScanError) as raised:
        JsonLdAdapter(settings).search(SearchQuery(f"{local_shop}/products/wh-1000xm5"), client)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert client.requests_made == 0


def test_a_shop_page_of_production_size_reads_as_its_json_ld_product() -> None:
    listing = parse("shop_product_64kb.html", "https://www.hollowpine-outfitters.example/products/x?utm_source=feed")
    assert listing.title == "Alder & Ash Trailhead Trail Running Shoe – Ember"  # not a reviewer's or a carousel's
    canonical = "https://www.hollowpine-outfitters.example/products/alder-and-ash-trailhead-trail-running-shoe-ember-12"
    assert listing.url == listing.external_id == canonical
    assert (listing.price, listing.original_price, listing.currency, listing.status) == (
        Decimal("331.99"),
        Decimal("414.99"),
        "USD",
        "active",
    )
    assert (listing.shipping, listing.condition, listing.seller) == (Decimal(0), "new", "Hollowpine Outfitters")
    assert listing.image_url == (
        "https://www.hollowpine-outfitters.example/cdn/shop/files/"
        "alder-and-ash-trailhead-trail-running-shoe-ember-12-1.jpg?v=1712&width=1200"
    )
    assert listing.extra == {"sku": "ALD-TRA-00012", "brand": "Alder & Ash"}


def test_the_shop_pages_microdata_alone_names_and_prices_the_same_product() -> None:
    """Its JSON-LD and OpenGraph removed, the page's microdata gives the product (not a review's
    name or author), its price and stock; the header's login box does not make it a login wall."""
    page = re.sub(
        r'<script type="application/ld\+json">.*?</script>', "", fixture("shop_product_64kb.html"), flags=re.S
    )
    page = re.sub(r'<meta property="(og|product):[^>]*>', "", page)
    [listing] = JsonLdAdapter(load_settings()).parse(page, source_url="https://shop.example/account/login")
    assert listing.title == "Alder & Ash Trailhead Trail Running Shoe – Ember"
    assert (listing.price, listing.original_price, listing.currency, listing.status, listing.condition) == (
        Decimal("331.99"),
        None,
        "USD",
        "active",
        "new",
    )
    assert listing.extra == {"sku": "ALD-TRA-00012"}
