"""The demo marketplace (`python -m scanner demo-market`), read like any real site: HTML pages.

Its results page says how many cards it holds and ends with an end-of-page marker; a page
without the marker was cut off, one whose cards do not add up (or whose results container is
gone) has changed its markup. Both are `MARKUP_CHANGED`, never a short list passed off as the
whole page. A page that says "No results" is the one honest empty answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlencode, urljoin

from bs4 import BeautifulSoup, Tag

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
from scanner.marketplaces.prices import parse_price
from scanner.marketplaces.text import node_text
from scanner.marketplaces.urls import canonical_url

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
        soup = BeautifulSoup(body, "lxml")
        results = soup.select_one("main.dm-results")
        if results is None:
            raise _markup_changed("no results container (main.dm-results) on the page")
        if soup.select_one(".dm-end") is None:
            raise _markup_changed("the page ends early: no end-of-results marker (truncated response?)")
        base = source_url or _canonical_link(soup)
        cards = results.select("li.dm-card")
        expected = results.get("data-count")
        if not isinstance(expected, str) or not expected.isdigit() or int(expected) != len(cards):
            raise _markup_changed(f"the page announces {expected!r} results but holds {len(cards)} cards")
        if not cards and results.select_one(".dm-empty") is None:
            raise _markup_changed("no listing cards and no 'No results' message")
        listings = [self._card(card, base) for card in cards]
        pager_next = results.select_one(".dm-pager a[rel~=next][href]")
        next_url = urljoin(base, str(pager_next["href"])) if pager_next is not None else None
        return ResultsPage(listings, next_url)

    def _card(self, card: Tag, base: str) -> ListingData:
        # find(class_=...) rather than CSS select_one: the same match, about ten times faster.
        def part(name: str) -> Tag | None:
            return card.find(class_=name)

        external_id = card.get("data-listing-id")
        heading = part("dm-card__title")
        link = heading.find("a", href=True) if heading is not None else None
        title = node_text(link)
        if not isinstance(external_id, str) or not external_id or link is None or title is None:
            raise _markup_changed(f"a listing card lacks its id, title or link: {str(card)[:200]}")
        price = parse_price(node_text(part("dm-price")), default_currency=self.default_currency)
        was = parse_price(node_text(part("dm-price--was")), default_currency=self.default_currency)
        shipping = parse_price(node_text(part("dm-card__shipping")), default_currency=self.default_currency)
        image = card.find("img", src=True)
        seller_box = part("dm-card__seller")
        seller = seller_box.find(class_="dm-seller") if seller_box is not None else None
        condition_text = node_text(part("dm-card__condition"))
        return ListingData(
            external_id=external_id,
            title=title,
            url=canonical_url(str(link["href"]), base=base, keep=frozenset()),  # ?ref=srp&pos=3 is tracking
            price=price.amount if price else None,
            currency=price.currency if price else self.default_currency,
            image_url=urljoin(base, str(image["src"])) if image is not None else None,
            location=node_text(part("dm-card__location")),
            condition=condition_value(condition_text),
            shipping=shipping.amount if shipping else None,
            seller=node_text(seller),
            original_price=was.amount if was else None,
            status=next((status for status in _STATUSES if part(f"dm-badge--{status}")), "active"),
            extra={"condition_text": condition_text} if condition_text else {},
        )


def _canonical_link(soup: BeautifulSoup) -> str:
    link = soup.select_one("link[rel=canonical][href]")
    if link is None:
        raise _markup_changed("no source URL given and no canonical link on the page to resolve links against")
    return str(link["href"])
