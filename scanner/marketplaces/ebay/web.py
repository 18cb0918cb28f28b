"""eBay's public search page, read when no API credentials are configured.

It comes in two markups (the older `li.s-item`, every field with its own class, and the newer
`li.s-card`, generic attribute rows whose meaning is in their text) and in every country site's
language and number format. Parsing is most of a scan's time here: a results page is 1–2 MB, so
only the parts the parser reads are built, and elements are indexed by class in one walk instead
of a CSS query per field (queries over a whole page would take about a second).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.filter import SoupStrainer

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import HttpClient, ListingData, SearchQuery, first_sightings
from scanner.marketplaces.ebay.sites import (
    CONDITION_IDS,
    SITES,
    US_SITE,
    EbaySite,
    is_ebay_category,
    item_url,
    site_for_host,
)
from scanner.marketplaces.prices import Money, parse_price
from scanner.marketplaces.text import clean_text

#: The hidden "Shop on eBay" card every results page carries links to this item number.
PLACEHOLDER_ITEM_ID = "123456"


def search(query: SearchQuery, client: HttpClient, site: EbaySite, clock: Callable[[], datetime]) -> list[ListingData]:
    """Up to `query.max_pages` results pages, newest listings first, until the last one."""
    url = f"https://{site.host}/sch/i.html"
    listings: list[ListingData] = []
    for page_number in range(1, query.max_pages + 1):
        response = client.get(url, params=search_params(query, page_number))
        page = parse_web_page(response.text, source_url=url, now=clock())
        listings.extend(page.listings)
        if not page.has_next:
            break
    return first_sightings(listings)


def search_params(query: SearchQuery, page_number: int) -> dict[str, str]:
    params = {"_nkw": query.query, "_sop": "10", "_pgn": str(page_number)}
    if query.min_price is not None:
        params["_udlo"] = str(query.min_price)
    if query.max_price is not None:
        params["_udhi"] = str(query.max_price)
    if query.condition:
        params["LH_ItemCondition"] = "|".join(CONDITION_IDS[query.condition])
    if is_ebay_category(query.category):
        params["_sacat"] = str(query.category)
    return params


_NEW_LISTING_LABEL = re.compile(
    r"^(new listing|neues angebot|nouvelle annonce|nuova inserzione|nuevo anuncio|nieuwe advertentie)\s*", re.I
)
_BIDS = re.compile(r"(\d+)\s*(bids?|gebote?|enchères?|offerte?|pujas?|biedingen|bod|ofert[ay]?)\b", re.I)
_DURATION = re.compile(r"(\d+)\s*(tage?|days?|stunden?|std|hours?|hrs?|minuten?|mins?|sek|secs?|d|t|j|g|h|m|s)\b", re.I)
_FREE = re.compile(r"\b(free|gratis|kostenlos\w*|gratuit[eoa]?|darmowa)\b", re.I)
_AMOUNT_WITH_CURRENCY = re.compile(r"[$€£¥]\s?\d|\d\s?[$€£¥]|\b[A-Z]{3}\s?\d|\d\s?[A-Z]{3}\b")
_SHIPPING_WORDS = re.compile(
    r"shipping|delivery|postage|versand|lieferung|livraison|spedizione|envío|envio|verzending|wysyłka", re.I
)
_LOCATION_PREFIX = re.compile(r"^(located in|from|aus|standort:?|de|da|desde|uit|z)\s+", re.I)
_SELLER_FEEDBACK = re.compile(r"\s*(\(|[\d.,]+\s*%).*$")
_SELLER_RATING = re.compile(r"\d\s*%\s*positi", re.I)
_SOLD = re.compile(r"^(sold|verkauft|vendu|venduto|vendido|verkocht|sprzedane)\b", re.I)
_BOT_CHECK_TITLES = ("pardon our interruption", "security measure", "sicherheitsmaßnahme", "mesure de sécurité")
_CAPTCHA_URL = re.compile("captcha", re.I)
_ITEM_LINK = re.compile(r"/itm/")
#: Where an <img> may hold its picture, lazy loaders' attributes first; of a `srcset`, the first URL.
_IMAGE_SOURCES = ("data-src", "data-defer-load", "data-srcset", "srcset", "src")


@dataclass(frozen=True)
class WebPage:
    listings: list[ListingData]
    has_next: bool


@dataclass(frozen=True)
class _Card:
    """What one result card shows, as text, whichever markup it came in."""

    item_id: str
    title: str
    price: str | None
    was_price: str | None
    shipping: str | None
    bids: str | None
    time_left: str | None
    condition: str | None
    location: str | None
    seller: str | None
    image_url: str | None
    sold: bool


class _SearchPageParts(SoupStrainer):
    """Builds only the parts of a results page the parser reads (head, result list, pagination):
    a page is 1–2 MB of scripts, menus and filters, and skipping them saves a fifth of the parse.

    A `SoupStrainer` because that is what `BeautifulSoup(parse_only=…)` takes; both of the hooks
    the parser calls are its own, so the strainer's matching rules play no part."""

    TAGS = frozenset({"title", "link", "meta", "form", "iframe"})
    CLASSES = frozenset(
        {"srp-results", "srp-save-null-search", "srp-controls__count-heading", "pagination", "g-recaptcha", "h-captcha"}
    )

    def allow_tag_creation(self, nsprefix: str | None, name: str, attrs: Any) -> bool:
        if name in self.TAGS:
            return True
        classes = (attrs or {}).get("class") or ()
        return bool(self.CLASSES.intersection(classes.split() if isinstance(classes, str) else classes))

    def allow_string_creation(self, string: str) -> bool:
        return True  # text directly under the document is kept, as by any parse


def parse_web_page(body: str, *, source_url: str | None, now: datetime) -> WebPage:
    """Listings of one eBay search results page; zero for an honest "no exact matches" page."""
    soup = BeautifulSoup(body, "lxml", parse_only=_SearchPageParts())
    index = _class_index(soup)  # one walk; CSS queries over a 2 MB page would take a second
    if _first(index, "srp-save-null-search", "srp-save-null-search__heading"):
        return WebPage([], False)
    results = _first(index, "srp-results")
    rows = _result_rows(results) if results is not None else []
    if not rows:
        _raise_if_blocked(soup, index)
    if results is None:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay page has no result list (ul.srp-results)")
    cards = [card for card in map(_read_card, rows) if card is not None]
    if rows and not cards:
        raise ScanError(
            ErrorClass.MARKUP_CHANGED, f"none of the {len(rows)} eBay result cards has an item id and title"
        )
    if not rows and _result_count(index) != 0:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay result list holds no s-item or s-card rows")
    site = _page_site(soup, results, source_url)
    listings = [_card_listing(card, site, now) for card in cards if card.item_id != PLACEHOLDER_ITEM_ID]
    has_next = any(
        link.get("href") and link.get("aria-disabled") != "true" for link in index.get("pagination__next", [])
    )
    return WebPage(first_sightings(listings), has_next)


def _result_rows(results: Tag) -> list[Tag]:
    """The result cards of the search, without those that only "match fewer words"."""
    rows = []
    for row in results.find_all("li", recursive=False):
        classes = row.get_attribute_list("class")
        if "srp-river-answer--REWRITE_START" in classes:
            break
        if "s-item" in classes or "s-card" in classes:
            rows.append(row)
    return rows


def _raise_if_blocked(soup: BeautifulSoup, index: Mapping[str, list[Tag]]) -> None:
    """Asked only of a page that answered the search with nothing: a results page carries Google's
    invisible reCAPTCHA (a widget, a zero-size iframe) and is still a results page."""
    title = soup.title.get_text(" ", strip=True).lower() if soup.title else ""
    captcha = (
        _first(index, "g-recaptcha", "h-captcha")
        or soup.find("form", id="captcha_form")
        or soup.find(["form", "iframe"], attrs={"action": _CAPTCHA_URL})
        or soup.find("iframe", src=_CAPTCHA_URL)
    )
    if captcha or any(marker in title for marker in _BOT_CHECK_TITLES):
        raise ScanError(ErrorClass.CAPTCHA, f"eBay answered with a bot check ({title or 'captcha form'})")
    if soup.find("form", id="signin-form") or title.startswith(("sign in", "einloggen")):
        raise ScanError(ErrorClass.LOGIN_WALL, "eBay asked to sign in")


def _result_count(index: Mapping[str, list[Tag]]) -> int | None:
    heading = _first(index, "srp-controls__count-heading")
    match = re.match(r"\s*([\d.,]+)", heading.get_text(" ", strip=True)) if heading else None
    return int(re.sub(r"\D", "", match.group(1))) if match else None


def _page_site(soup: BeautifulSoup, results: Tag, source_url: str | None) -> EbaySite:
    """The country site from the URL, the page's canonical link, its item links, or its currency."""
    canonical = soup.find("link", rel="canonical", href=True)
    og_url = soup.find("meta", property="og:url", content=True)
    candidates = [source_url, canonical and canonical["href"], og_url and og_url["content"]]
    candidates += [
        link["href"]
        for link in results.find_all("a", href=_ITEM_LINK, limit=5)
        if f"/itm/{PLACEHOLDER_ITEM_ID}" not in link["href"]
    ]
    for candidate in candidates:
        site = site_for_host(urlsplit(str(candidate)).hostname) if candidate else None
        if site:
            return site
    price = results.find(class_=("s-item__price", "s-card__price"))
    money = parse_price(price.get_text(" ", strip=True), default_currency="USD") if price else None
    return next((site for site in SITES if money and site.currency == money.currency), US_SITE)


def _read_card(row: Tag) -> _Card | None:
    return _read_s_item(row) if "s-item" in row.get_attribute_list("class") else _read_s_card(row)


def _read_s_item(row: Tag) -> _Card | None:
    """The older markup: every field has its own `s-item__*` class."""
    index = _class_index(row)
    link = _first(index, "s-item__link")
    item_id = _item_id(_attribute(row, "data-listingid") or (_attribute(link, "href") if link else None))
    title = _text(_first(index, "s-item__title"), drop={"clipped", "LIGHT_HIGHLIGHT", "s-item__title--tag"})
    if item_id is None or not title:
        return None
    return _Card(
        item_id=item_id,
        title=title,
        price=_text(_first(index, "s-item__price")),
        was_price=_text(_first(index, "STRIKETHROUGH")),
        shipping=_text(_first(index, "s-item__shipping", "s-item__logisticsCost", "s-item__freeXDays")),
        bids=_text(_first(index, "s-item__bids", "s-item__bidCount")),
        time_left=_text(_first(index, "s-item__time-left")),
        condition=_text(_first(index, "SECONDARY_INFO")),
        location=_text(_first(index, "s-item__location", "s-item__itemLocation")),
        seller=_text(_first(index, "s-item__seller-info-text")),
        image_url=_s_item_image(index),
        sold=bool(_SOLD.match(_text(_first(index, "s-item__caption--signal", "s-item__title--tagblock")) or "")),
    )


def _read_s_card(row: Tag) -> _Card | None:
    """The newer markup: generic attribute rows whose meaning is in their text."""
    index = _class_index(row)
    link = _first(index, "s-card__link") or row.find("a", href=_ITEM_LINK)
    item_id = _item_id(_attribute(row, "data-listingid") or (_attribute(link, "href") if link else None))
    title = _text(_first(index, "s-card__title"), drop={"clipped", "s-card__new-listing"})
    if item_id is None or not title:
        return None
    price = _first(index, "s-card__price")
    price_row = price.find_parent(class_="s-card__attribute-row") if price else None
    texts = [text for r in index.get("s-card__attribute-row", []) if r is not price_row and (text := _text(r))]
    subtitle = _first(index, "s-card__subtitle")
    return _Card(
        item_id=item_id,
        title=title,
        price=_text(price),
        was_price=_text(_first(index, "strikethrough", "s-card__price--was")),
        shipping=next((t for t in texts if _SHIPPING_WORDS.search(t) and not _BIDS.search(t)), None),
        bids=next((t for t in texts if _BIDS.search(t)), None),
        time_left=_text(_first(index, "s-card__time-left")) or next((t for t in texts if " left" in t), None),
        condition=_text(subtitle.find(class_="su-styled-text") or subtitle) if subtitle else None,
        location=next((t for t in texts if _LOCATION_PREFIX.match(t) and not _SHIPPING_WORDS.search(t)), None),
        seller=next((t for t in texts if _SELLER_RATING.search(t)), None),
        image_url=_image(index.get("s-card__image") or row.find_all("img", limit=1)),
        sold=bool(_SOLD.match(_text(_first(index, "s-card__caption")) or "")),
    )


def _s_item_image(index: Mapping[str, list[Tag]]) -> str | None:
    """An `s-item` card's picture: an `img.s-item__image-img` until 2022, since 2023 a bare <img>
    in the image wrapper, so any <img> of the card's picture area."""
    area = _first(index, "s-item__image-section", "s-item__image", "s-item__image-wrapper")
    return _image(area.find_all("img") if area else index.get("s-item__image-img", []))


def _class_index(root: Tag) -> dict[str, list[Tag]]:
    """Elements by class, in document order: one walk instead of a CSS query per field."""
    index: dict[str, list[Tag]] = {}
    for element in root.find_all(True):
        for name in element.get("class") or ():
            index.setdefault(name, []).append(element)
    return index


def _first(index: Mapping[str, list[Tag]], *names: str) -> Tag | None:
    return next((index[name][0] for name in names if name in index), None)


def _card_listing(card: _Card, site: EbaySite, now: datetime) -> ListingData:
    price = _money(card.price, site)
    original = _money(card.was_price, site)
    bids = _BIDS.search(card.bids or "")
    ends_at = _ends_at(card.time_left, now)
    extra: dict[str, Any] = {}
    if bids:
        extra["bids"] = int(bids.group(1))
    return ListingData(
        external_id=card.item_id,
        title=_NEW_LISTING_LABEL.sub("", card.title),
        url=item_url(site, card.item_id),
        price=price.amount if price else None,
        currency=price.currency if price else site.currency,
        image_url=card.image_url,
        location=_LOCATION_PREFIX.sub("", card.location) if card.location else None,
        condition=card.condition,
        shipping=_shipping_cost(card.shipping, site),
        seller=(_SELLER_FEEDBACK.sub("", card.seller) or None) if card.seller else None,
        original_price=original.amount if original else None,
        status="sold" if card.sold else "active",
        ends_at=ends_at,
        extra=extra,
    )


def _money(text: str | None, site: EbaySite) -> Money | None:
    return parse_price(text, default_currency=site.currency, decimal_separator=site.decimal_separator)


def _shipping_cost(text: str | None, site: EbaySite) -> Decimal | None:
    """0 for free shipping, the amount for "+$5.89 shipping", None when unknown or conditional
    ("Free shipping over $50" says nothing about this item's cost)."""
    if not text:
        return None
    if _FREE.search(text):
        return None if _AMOUNT_WITH_CURRENCY.search(text) else Decimal("0.00")
    money = _money(text, site)
    return money.amount if money else None


def _ends_at(time_left: str | None, now: datetime) -> datetime | None:
    """ "6d 23h left", "Noch 6T 23Std" or "23h 39m" from `now`, to the minute."""
    if not time_left:
        return None
    parts = _DURATION.findall(re.sub(r"\(.*?\)", "", time_left))
    if not parts:
        return None
    delta = sum((timedelta(**{_duration_unit(unit): int(amount)}) for amount, unit in parts), timedelta())
    return (now + delta).replace(second=0, microsecond=0)


def _duration_unit(unit: str) -> str:
    unit = unit.lower()
    if unit in ("d", "t", "j", "g") or unit.startswith(("tag", "day")):
        return "days"
    if unit == "h" or unit.startswith(("std", "stund", "hour", "hr")):
        return "hours"
    if unit.startswith("m"):
        return "minutes"
    return "seconds"


def _item_id(value: str | None) -> str | None:
    if not value:
        return None
    if value.isdigit():
        return value
    match = re.search(r"/itm/(?:[^/?#]+/)?(\d+)", value)
    return match.group(1) if match else None


def _text(element: Tag | None, *, drop: Set[str] = frozenset()) -> str | None:
    """An element's visible text on one line, without its descendants of the `drop` classes."""
    if element is None:
        return None
    for unwanted in element.find_all(True) if drop else ():
        if not unwanted.decomposed and not drop.isdisjoint(unwanted.get_attribute_list("class")):
            unwanted.decompose()
    return clean_text(element.get_text(" ", strip=True))


def _image(images: Iterable[Tag]) -> str | None:
    """The first real picture among `images`: a lazily loaded <img> has it in an attribute its
    script reads, `src` being eBay's placeholder graphic or an inline data: image until then."""
    for image in images:
        for attribute in _IMAGE_SOURCES:
            value = _attribute(image, attribute)
            words = (value or "").split(maxsplit=1)
            url = words[0].rstrip(",") if words else ""
            if url.startswith(("https://", "http://")) and "ebaystatic.com" not in url:
                return url
    return None


def _attribute(element: Tag, name: str) -> str | None:
    """A single-valued attribute (`href`, `src`, `data-*`): text, or None when missing."""
    value = element.get(name)
    return value if isinstance(value, str) else None
