"""The demo marketplace (`python -m scanner demo-market`), read like any real site: HTML pages.

Its results page says how many cards it holds and ends with an end-of-page marker; a page
without the marker was cut off, one whose cards do not add up (or whose results container is
gone) has changed its markup. Both are `MARKUP_CHANGED`, never a short list passed off as the
whole page. A page that says "No results" is the one honest empty answer.

Parser: lxml directly (`scanner.marketplaces.html`), not BeautifulSoup. The results page is small
(14 KB for 20 cards), yet BeautifulSoup spent about 200 ms of CPU per 100 KB on it (28 ms a page),
and mostly not building the tree (a third of it): the rest went to searching it — a
`find(class_=…)` per field, each a new filter object tested against every node of the card — and
to CSS selects over the whole page. With lxml and one walk per card,
`tests/fixtures/demo/laptop_results_page1.html` takes 23 ms per 100 KB (3.2 ms a page; median on
an idle machine, `python -m bench --only parse_speed`), still over the budget of ≤ 10: at 0.7 KB a
listing, normalising prices and URLs (`parse_price`, `canonical_url`, `urljoin`) alone takes about
10 ms per 100 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlencode, urljoin

from lxml import etree

from models.settings import get_settings
from models.tables import Condition, ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    ListingStatusName,
    MarketplaceAdapter,
    SearchQuery,
    first_sightings,
)
from scanner.marketplaces.html import Element, class_index, elements, first, first_of, has_class, parse_html, text
from scanner.marketplaces.prices import parse_price
from scanner.marketplaces.urls import absolute_url, canonical_url

# How the site words a condition, by its first word(s), to the values searches filter on.
_CONDITIONS = (
    ("new", Condition.NEW),
    ("used", Condition.USED),
    ("refurbished", Condition.REFURBISHED),
    ("for parts", Condition.FOR_PARTS),
)
_STATUSES: tuple[ListingStatusName, ...] = ("sold", "pending")


@dataclass(frozen=True)
class ResultsPage:
    """One results page: its listings and the absolute address of the next page, if any."""

    listings: list[ListingData]
    next_url: str | None


def _markup_changed(message: str) -> ScanError:
    return ScanError(ErrorClass.MARKUP_CHANGED, message)


def condition_value(text: str | None) -> str | None:
    """`Used – Good` → `used`: the `Condition` value a search filters on."""
    if text is None:
        return None
    lowered = text.casefold()
    return next((value.value for words, value in _CONDITIONS if lowered.startswith(words)), None)


class DemoAdapter(MarketplaceAdapter):
    """The `demo` marketplace: the local demo market's HTML results pages."""

    name = "demo"
    default_currency: ClassVar[str] = "USD"

    def __init__(self, base_url: str | None = None) -> None:
        """`base_url` defaults to the DEMO_MARKET_URL setting (read when a search runs)."""
        self._base_url = base_url

    def search_url(self, query: SearchQuery) -> str:
        """The first results page for a search, with the filters the market applies itself."""
        params: dict[str, str] = {"q": query.query}
        if query.min_price is not None:
            params["min_price"] = str(query.min_price)
        if query.max_price is not None:
            params["max_price"] = str(query.max_price)
        if query.condition is not None:
            params["condition"] = str(query.condition)
        base = (self._base_url or get_settings().demo_market_url).rstrip("/")
        return f"{base}/search?{urlencode(params)}"

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        """Up to `query.max_pages` pages; a listing that moved to the next page meanwhile counts once."""
        url: str | None = self.search_url(query)
        found: list[ListingData] = []
        for _ in range(query.max_pages):
            if url is None:
                break
            response = client.get(url)
            page = self.read_page(response.text, source_url=response.url or url)
            found.extend(page.listings)
            url = page.next_url
        return first_sightings(found)

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        return self.read_page(body, source_url=source_url).listings

    def read_page(self, body: str, *, source_url: str | None = None) -> ResultsPage:
        """Listings and next-page address of one results page; `ScanError` if it is not whole.

        Relative links resolve against `source_url`, else the page's canonical link.
        """
        root = parse_html(body)
        results = first(root, "main", class_="dm-results", inclusive=True)
        if results is None:
            raise _markup_changed("no results container (main.dm-results) on the page")
        if not _has_end_marker(root):
            raise _markup_changed("the page ends early: no end-of-results marker (truncated response?)")
        base = source_url or _canonical_link(root)
        cards = [card for card in results.iterdescendants("li") if has_class(card, "dm-card")]
        expected = results.get("data-count")
        if not isinstance(expected, str) or not expected.isdigit() or int(expected) != len(cards):
            raise _markup_changed(f"the page announces {expected!r} results but holds {len(cards)} cards")
        if not cards and first(results, class_="dm-empty") is None:
            raise _markup_changed("no listing cards and no 'No results' message")
        listings = [self._card(card, base) for card in cards]
        pager_next = next((link for link in results.iterdescendants("a") if _is_next_link(link)), None)
        next_url = urljoin(base, str(pager_next.get("href"))) if pager_next is not None else None
        return ResultsPage(listings, next_url)

    def _card(self, card: Element, base: str) -> ListingData:
        index = class_index(card)  # one walk of the card rather than a search per field

        def part(name: str) -> Element | None:
            return first_of(index, name)

        external_id = card.get("data-listing-id")
        heading = part("dm-card__title")
        link = first(heading, "a", attr="href") if heading is not None else None
        title = text(link)
        if not external_id or link is None or title is None:
            markup = etree.tostring(card, encoding="unicode", method="html", with_tail=False)
            raise _markup_changed(f"a listing card lacks its id, title or link: {markup[:200]}")
        price = parse_price(text(part("dm-price")), default_currency=self.default_currency)
        was = parse_price(text(part("dm-price--was")), default_currency=self.default_currency)
        shipping = parse_price(text(part("dm-card__shipping")), default_currency=self.default_currency)
        image = first(card, "img", attr="src")
        seller_box = part("dm-card__seller")
        seller = first(seller_box, class_="dm-seller") if seller_box is not None else None
        condition_text = text(part("dm-card__condition"))
        return ListingData(
            external_id=external_id,
            title=title,
            url=canonical_url(str(link.get("href")), base=base, keep=frozenset()),  # ?ref=srp&pos=3 is tracking
            price=price.amount if price else None,
            currency=price.currency if price else self.default_currency,
            image_url=absolute_url(str(image.get("src")), base) if image is not None else None,
            location=text(part("dm-card__location")),
            condition=condition_value(condition_text),
            shipping=shipping.amount if shipping else None,
            seller=text(seller),
            original_price=was.amount if was else None,
            status=next((status for status in _STATUSES if f"dm-badge--{status}" in index), "active"),
            extra={"condition_text": condition_text} if condition_text else {},
        )


def _has_end_marker(root: Element) -> bool:
    """Whether an element of the page has the class `dm-end`: looked for from the end of the page,
    where the marker is."""
    return any(has_class(element, "dm-end") for element in reversed(list(elements(root, inclusive=True))))


def _is_next_link(link: Element) -> bool:
    """`.dm-pager a[rel~=next][href]`: the pager's link to the next page."""
    rel = link.get("rel")
    if link.get("href") is None or not rel or "next" not in rel.split():
        return False
    return any(has_class(ancestor, "dm-pager") for ancestor in link.iterancestors())


def _canonical_link(root: Element) -> str:
    """The first `link[rel=canonical][href]`."""
    for link in root.iter("link"):
        href = link.get("href")
        if href is not None and (link.get("rel") or "").split() == ["canonical"]:
            return href
    raise _markup_changed("no source URL given and no canonical link on the page to resolve links against")
