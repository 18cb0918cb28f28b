"""Hostile input for the adapters, made from our own fixtures (`tests/fixtures/<marketplace>/`):
cut short, numbers swapped for huge, negative, fractional or non-numbers, texts for NULs, lone
surrogates, script tags and long runs, values nested thousands deep, JSON values of another type,
bytes that are no UTF-8 — and each page read as a scan reads it, through `scanner.scan.read_listings`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from models.settings import load_settings
from scanner.errors import ScanError
from scanner.marketplaces.base import HttpClient, HttpResponse, ListingData, MarketplaceAdapter
from scanner.marketplaces.craigslist import CraigslistAdapter
from scanner.marketplaces.craigslist_areas import AreaDirectory
from scanner.marketplaces.demo import DemoAdapter
from scanner.marketplaces.ebay import EbayAdapter
from scanner.marketplaces.facebook import FacebookAdapter
from scanner.marketplaces.jsonld import JsonLdAdapter
from scanner.marketplaces.kijiji import KijijiAdapter
from scanner.marketplaces.marktplaats import MarktplaatsAdapter
from scanner.marketplaces.mercari import MercariAdapter
from scanner.marketplaces.validation import CheckedListings
from scanner.scan import PARSE_CPU_SECONDS, read_listings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def adapter(marketplace: str) -> MarketplaceAdapter:
    """The marketplace's adapter as a worker builds it, offline: no area list fetched, no DNS."""
    settings = load_settings(jsonld_allow_private_addresses=True)
    adapters: dict[str, Callable[[], MarketplaceAdapter]] = {
        "demo": lambda: DemoAdapter("http://127.0.0.1:8765"),
        "ebay": lambda: EbayAdapter(settings, clock=lambda: NOW),
        "craigslist": lambda: CraigslistAdapter(AreaDirectory(fetch=False)),
        "facebook": lambda: FacebookAdapter(settings),
        "jsonld": lambda: JsonLdAdapter(settings),
        "kijiji": KijijiAdapter,
        "marktplaats": MarktplaatsAdapter,
        "mercari": MercariAdapter,
    }
    return adapters[marketplace]()


@dataclass(frozen=True)
class Page:
    """A fixture of one of an adapter's formats, and the URL it was read from."""

    marketplace: str
    fixture: str
    source_url: str | None = None

    @property
    def text(self) -> str:
        return fixture_text(self.fixture)


PAGES = (
    Page("demo", "demo/laptop_results_page1.html", "http://127.0.0.1:8765/search?q=laptop"),
    Page("ebay", "ebay/search_s_item_us.html", "https://www.ebay.com/sch/i.html?_nkw=iphone"),
    Page("ebay", "ebay/search_s_card_de.html", "https://www.ebay.de/sch/i.html?_nkw=apple"),
    Page("ebay", "ebay/browse_search_page1.json"),
    Page("craigslist", "craigslist/static_toronto_page1.html", "https://toronto.craigslist.org/search/sss"),
    Page("craigslist", "craigslist/rendered_gallery_boston.html", "https://boston.craigslist.org/search/sss"),
    Page("craigslist", "craigslist/sapi_seattle_bik.json"),
    Page("facebook", "facebook/search_embedded_houston.html", "https://www.facebook.com/marketplace/houston/search"),
    Page("facebook", "facebook/search_requirelazy_portland.html", "https://www.facebook.com/marketplace/pdx/search"),
    Page("facebook", "facebook/rendered_cards_montreal.html", "https://www.facebook.com/marketplace/montreal/search"),
    Page("jsonld", "jsonld/product_offer.html", "https://shop.example/products/headphones"),
    Page("jsonld", "jsonld/product_microdata.html", "https://shop.example/products/kettle"),
    Page("jsonld", "jsonld/sale_og_sale_price.html", "https://shop.example/products/lamp"),
    Page("kijiji", "kijiji/search_apollo_ottawa_bikes.html"),
    Page("kijiji", "kijiji/next_data_calgary_civics.json"),
    Page("marktplaats", "marktplaats/search_page.html"),
    Page("marktplaats", "marktplaats/api_answer.json"),
    Page("mercari", "mercari/search_page1.json"),
)
MARKETPLACES = sorted({page.marketplace for page in PAGES})


@cache
def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class NoClient:
    """The HTTP client of a parse: nothing is fetched."""

    def get(self, url: str, **_options: Any) -> HttpResponse:
        raise AssertionError(f"a parse fetched {url}")

    def post(self, url: str, **_options: Any) -> HttpResponse:
        raise AssertionError(f"a parse posted to {url}")


def read(
    marketplace: str, body: str, source_url: str | None, *, cpu_seconds: float = PARSE_CPU_SECONDS
) -> CheckedListings:
    """The page as a scan reads it: within the parse budget, parser exceptions classified, each
    listing checked."""
    parser = adapter(marketplace)
    client: HttpClient = NoClient()  # type: ignore[assignment]  # get/post take any options

    def parse(_client: HttpClient) -> list[ListingData]:
        return parser.parse(body, source_url=source_url)

    return read_listings(parse, client, cpu_seconds=cpu_seconds)


def read_outcome(marketplace: str, body: str, source_url: str | None) -> CheckedListings | ScanError:
    try:
        return read(marketplace, body, source_url)
    except ScanError as error:
        return error


# --- mutations ------------------------------------------------------------------------------------

NUMBERS = st.sampled_from(
    [
        "99999999999999999999",
        "1e14",
        "100000000000000",
        "1e400",
        "-1e400",
        "1e-400",
        "1e300",
        "-500",
        "-500.00",
        "0.00001",
        "NaN",
        "Infinity",
        "-Infinity",
        "-0",
        "9" * 5000,
        "1" * 40_000,
        "0." + "0" * 5000 + "1",
    ]
)
TEXTS = st.sampled_from(
    [
        "",
        "\x00",
        "\ud800",
        "a\udfffb",
        "\\u0000",  # a NUL, once a JSON string is decoded
        "\\ud800",  # a lone surrogate, likewise
        "&#0;",
        "$" + "9" * 100_000,
        "-$500.00",
        "$0.00001",
        "USDT 500",
        "<script>" * 5_000,
        '<script>"feed_units":' * 2_000,
        "(" * 20_000,
        "1" * 20_000 + " bids",
        "1" * 20_000 + "d",
        "9" * 20_000 + "%",
        " " * 20_000 + "(",
        "x" * 200_000,
        "é" * 10_000,
        '"><img src=x onerror=alert(1)>',
    ]
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TEXT = re.compile(r">([^<>]+)<|\"((?:[^\"\\\n]|\\.)*)\"")


def _spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Where the pattern's first matching group (or the match) is in the text."""
    spans = []
    for match in pattern.finditer(text):
        group = next((index for index in range(1, (pattern.groups or 0) + 1) if match.group(index) is not None), 0)
        spans.append(match.span(group))
    return spans


def _replace(draw: st.DrawFn, text: str, pattern: re.Pattern[str], values: st.SearchStrategy[str]) -> str:
    spans = _spans(text, pattern)
    if not spans:
        return text
    start, end = draw(st.sampled_from(spans))
    return text[:start] + draw(values) + text[end:]


def _truncate(draw: st.DrawFn, text: str) -> str:
    return text[: draw(st.integers(0, len(text)))]


def _huge_number(draw: st.DrawFn, text: str) -> str:
    return _replace(draw, text, _NUMBER, NUMBERS)


def _hostile_text(draw: st.DrawFn, text: str) -> str:
    return _replace(draw, text, _TEXT, TEXTS)


def _deep_nesting(draw: st.DrawFn, text: str) -> str:
    depth = draw(st.sampled_from([300, 3_000, 100_000]))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ("<div>", "</div>"), ("<b><i>", "")]))
    nested = st.just(opening * depth + "1" + closing * depth)
    return _replace(draw, text, _NUMBER, nested)


def _type_swap(draw: st.DrawFn, text: str) -> str:
    """A JSON value anywhere in the document swapped for one of another type."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # no JSON (any more), or nested too deep for the walk below
        return text
    places: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        keys = range(len(node)) if isinstance(node, list) else node.keys() if isinstance(node, dict) else ()
        for key in keys:
            places.append((node, key))
            walk(node[key])

    walk(data)
    if not places:
        return text
    container, key = draw(st.sampled_from(places))
    container[key] = draw(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**30), 10**30),
            st.floats(),
            st.text(max_size=10),
            st.sampled_from([[], {}, [[[]]], {"value": {}}, "x" * 100_000]),
        )
    )
    return json.dumps(data)


def _bad_bytes(draw: st.DrawFn, text: str) -> str:
    """Bytes that are no UTF-8 inserted, decoded as the HTTP client decodes (U+FFFD) or as a careless
    decoder would (lone surrogates)."""
    raw = text.encode("utf-8", errors="surrogatepass")
    at = draw(st.integers(0, len(raw)))
    raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return raw.decode("utf-8", errors=draw(st.sampled_from(["replace", "surrogateescape"])))


def _repeated(draw: st.DrawFn, text: str) -> str:
    """A stretch of the page repeated many times: a page of thousands of cards or fields."""
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 2_000)))
    return text[:end] + text[start:end] * draw(st.sampled_from([10, 500])) + text[end:]


MUTATIONS: tuple[Callable[[st.DrawFn, str], str], ...] = (
    _truncate,
    _huge_number,
    _hostile_text,
    _deep_nesting,
    _type_swap,
    _bad_bytes,
    _repeated,
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` after one to three mutations."""
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        text = mutation(draw, text)
    return text
