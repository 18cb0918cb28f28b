"""eBay's public search page, read when no API credentials are configured.

It comes in two markups (the older `li.s-item`, every field with its own class, and the newer
`li.s-card`, generic attribute rows whose meaning is in their text) and in every country site's
language and number format.

Parser: lxml directly (`scanner.marketplaces.html`), not BeautifulSoup. A results page is 1–2 MB
of scripts, menus and filters around the result list, and BeautifulSoup cannot read it within the
parse budget (≤ 10 ms of CPU per 100 KB): relaying lxml's parse events to Python alone costs it
6–8 ms per 100 KB before it builds a single element, and with a `SoupStrainer` building only what
is read (head, forms, result list, pagination) this module took 12–21 ms per 100 KB. lxml builds
the same tree in C: on the captured ebay.de page (`web_search_ebay_de_apple.html`, 1.6 MB, 60
cards) the whole parse takes 2.4 ms per 100 KB (`python -m bench --only parse_speed`, median on
an idle machine; 4–5 ms while other work shares its two cores). As with the strainer, only the
parts the parser reads count (`_READ_TAGS`, `_READ_CLASSES`), and each card's elements are
indexed by class in one walk instead of a search per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

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
from scanner.marketplaces.html import (
    Element,
    canonical_link,
    class_index,
    classes,
    elements,
    first,
    first_of,
    og_url,
    parse_html,
    stripped_strings,
    text,
)
from scanner.marketplaces.prices import Money, parse_price

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
# Numbers (of bids, of time units, of feedback) are tried only where a run of digits (or spaces)
# starts, and bids and time only when short: tried from every digit of a long run, `(\d+)\s*(bids?…)`
# took time quadratic in its length (16,000 digits: 17 s).
_BIDS = re.compile(
    r"(?<!\d)(\d{1,9})(?!\d)\s*+(bids?|gebote?|enchères?|offerte?|pujas?|biedingen|bod|ofert[ay]?)\b", re.I
)
_DURATION = re.compile(
    r"(?<!\d)(\d{1,4})(?!\d)\s*+(tage?|days?|stunden?|std|hours?|hrs?|minuten?|mins?|sek|secs?|d|t|j|g|h|m|s)\b", re.I
)
_DURATION_PARTS = 4  # days, hours, minutes, seconds: more is no time left a page shows
_PARENTHESES = re.compile(r"\([^()]*\)")  # from each "(" to the next ")", never past another "("
_FREE = re.compile(r"\b(free|gratis|kostenlos\w*|gratuit[eoa]?|darmowa)\b", re.I)
_AMOUNT_WITH_CURRENCY = re.compile(r"[$€£¥]\s?\d|\d\s?[$€£¥]|\b[A-Z]{3}\s?\d|\d\s?[A-Z]{3}\b")
_SHIPPING_WORDS = re.compile(
    r"shipping|delivery|postage|versand|lieferung|livraison|spedizione|envío|envio|verzending|wysyłka", re.I
)
_LOCATION_PREFIX = re.compile(r"^(located in|from|aus|standort:?|de|da|desde|uit|z)\s+", re.I)
_SELLER_FEEDBACK = re.compile(r"(?<!\s)\s*(?:\(|(?<![\d.,])[\d.,]++\s*%).*$")
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


#: What the parser reads of a page: its head and forms (any captcha form) and these containers.
_READ_TAGS = frozenset({"title", "link", "meta", "form", "iframe"})
_READ_CLASSES = frozenset(
    {"srp-results", "srp-save-null-search", "srp-controls__count-heading", "pagination", "g-recaptcha", "h-captcha"}
)
#: The classes looked up on the whole page; only inside the parts above do they count.
_PAGE_CLASSES = _READ_CLASSES | {"srp-save-null-search__heading", "pagination__next"}


def parse_web_page(body: str, *, source_url: str | None, now: datetime) -> WebPage:
    """Listings of one eBay search results page; zero for an honest "no exact matches" page."""
    root = parse_html(body)
    index = _page_index(root)
    if first_of(index, "srp-save-null-search", "srp-save-null-search__heading") is not None:
        return WebPage([], False)
    results = first_of(index, "srp-results")
    rows = _result_rows(results) if results is not None else []
    if not rows:
        _raise_if_blocked(root, index)
    if results is None:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay page has no result list (ul.srp-results)")
    cards = [card for card in map(_read_card, rows) if card is not None]
    if rows and not cards:
        raise ScanError(
            ErrorClass.MARKUP_CHANGED, f"none of the {len(rows)} eBay result cards has an item id and title"
        )
    if not rows and _result_count(index) != 0:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay result list holds no s-item or s-card rows")
    site = _page_site(root, results, source_url)
    listings = [_card_listing(card, site, now) for card in cards if card.item_id != PLACEHOLDER_ITEM_ID]
    has_next = any(
        link.get("href") and link.get("aria-disabled") != "true" for link in index.get("pagination__next", [])
    )
    return WebPage(first_sightings(listings), has_next)


def _page_index(root: Element) -> dict[str, list[Element]]:
    """The page's elements of `_PAGE_CLASSES` by class, in document order — those in the parts the
    parser reads (`_is_read`, or inside such an element): a "next" link in a carousel or a
    "no matches" heading elsewhere on the page says nothing about the search."""
    index: dict[str, list[Element]] = {}
    for element in root.iter(etree.Element):
        value = element.get("class")
        names = value.split() if value else ()
        if _PAGE_CLASSES.isdisjoint(names):
            continue
        if not (_is_read(element) or any(_is_read(ancestor) for ancestor in element.iterancestors())):
            continue
        for name in names:
            if name in _PAGE_CLASSES:
                index.setdefault(name, []).append(element)
    return index


def _is_read(element: Element) -> bool:
    return element.tag in _READ_TAGS or not _READ_CLASSES.isdisjoint(classes(element))


def _result_rows(results: Element) -> list[Element]:
    """The result cards of the search, without those that only "match fewer words"."""
    rows = []
    for row in results.iterchildren("li"):
        names = classes(row)
        if "srp-river-answer--REWRITE_START" in names:
            break
        if "s-item" in names or "s-card" in names:
            rows.append(row)
    return rows


def _raise_if_blocked(root: Element, index: Mapping[str, list[Element]]) -> None:
    """`BLOCKED` for a bot check (this page came with a 200), `LOGIN_WALL` for a sign-in page.

    Asked only of a page that answered the search with nothing: a results page carries Google's
    invisible reCAPTCHA (a widget, a zero-size iframe) and is still a results page."""
    title_element = first(root, "title", inclusive=True)
    title = " ".join(stripped_strings(title_element)).lower() if title_element is not None else ""
    forms = list(root.iter("form", "iframe"))  # and frames
    captcha = (
        first_of(index, "g-recaptcha", "h-captcha") is not None
        or any(form.tag == "form" and form.get("id") == "captcha_form" for form in forms)
        or any(_CAPTCHA_URL.search(form.get("action") or "") for form in forms)
        or any(form.tag == "iframe" and _CAPTCHA_URL.search(form.get("src") or "") for form in forms)
    )
    if captcha or any(marker in title for marker in _BOT_CHECK_TITLES):
        raise ScanError(ErrorClass.BLOCKED, f"eBay answered with a bot check ({title or 'captcha form'})")
    if any(form.tag == "form" and form.get("id") == "signin-form" for form in forms) or title.startswith(
        ("sign in", "einloggen")
    ):
        raise ScanError(ErrorClass.LOGIN_WALL, "eBay asked to sign in")


def _result_count(index: Mapping[str, list[Element]]) -> int | None:
    heading = first_of(index, "srp-controls__count-heading")
    match = re.match(r"\s*([\d.,]+)", " ".join(stripped_strings(heading))) if heading is not None else None
    return int(re.sub(r"\D", "", match.group(1))) if match else None


def _page_site(root: Element, results: Element, source_url: str | None) -> EbaySite:
    """The country site from the URL, the page's canonical link, its item links, or its currency."""
    candidates = [source_url, canonical_link(root), og_url(root)]
    hrefs = (link.get("href") for link in results.iterdescendants("a"))
    item_links = islice((href for href in hrefs if href is not None and _ITEM_LINK.search(href)), 5)
    candidates += [href for href in item_links if f"/itm/{PLACEHOLDER_ITEM_ID}" not in href]
    for candidate in candidates:
        site = site_for_host(urlsplit(str(candidate)).hostname) if candidate else None
        if site:
            return site
    price = next((e for e in elements(results) if not {"s-item__price", "s-card__price"}.isdisjoint(classes(e))), None)
    money = parse_price(" ".join(stripped_strings(price)), default_currency="USD") if price is not None else None
    return next((site for site in SITES if money and site.currency == money.currency), US_SITE)


def _read_card(row: Element) -> _Card | None:
    return _read_s_item(row) if "s-item" in classes(row) else _read_s_card(row)


def _read_s_item(row: Element) -> _Card | None:
    """The older markup: every field has its own `s-item__*` class."""
    index = class_index(row)
    link = first_of(index, "s-item__link")
    item_id = _item_id(row.get("data-listingid") or (link.get("href") if link is not None else None))
    title = text(first_of(index, "s-item__title"), skip={"clipped", "LIGHT_HIGHLIGHT", "s-item__title--tag"})
    if item_id is None or not title:
        return None
    return _Card(
        item_id=item_id,
        title=title,
        price=text(first_of(index, "s-item__price")),
        was_price=text(first_of(index, "STRIKETHROUGH")),
        shipping=text(first_of(index, "s-item__shipping", "s-item__logisticsCost", "s-item__freeXDays")),
        bids=text(first_of(index, "s-item__bids", "s-item__bidCount")),
        time_left=text(first_of(index, "s-item__time-left")),
        condition=text(first_of(index, "SECONDARY_INFO")),
        location=text(first_of(index, "s-item__location", "s-item__itemLocation")),
        seller=text(first_of(index, "s-item__seller-info-text")),
        image_url=_s_item_image(index),
        sold=bool(_SOLD.match(text(first_of(index, "s-item__caption--signal", "s-item__title--tagblock")) or "")),
    )


def _read_s_card(row: Element) -> _Card | None:
    """The newer markup: generic attribute rows whose meaning is in their text."""
    index = class_index(row)
    link = first_of(index, "s-card__link")
    if link is None:
        link = next((a for a in row.iterdescendants("a") if _ITEM_LINK.search(a.get("href") or "")), None)
    item_id = _item_id(row.get("data-listingid") or (link.get("href") if link is not None else None))
    title = text(first_of(index, "s-card__title"), skip={"clipped", "s-card__new-listing"})
    if item_id is None or not title:
        return None
    price = first_of(index, "s-card__price")
    price_row = _ancestor(price, "s-card__attribute-row") if price is not None else None
    texts = [t for r in index.get("s-card__attribute-row", []) if r is not price_row and (t := text(r))]
    subtitle = first_of(index, "s-card__subtitle")
    return _Card(
        item_id=item_id,
        title=title,
        price=text(price),
        was_price=text(first_of(index, "strikethrough", "s-card__price--was")),
        shipping=next((t for t in texts if _SHIPPING_WORDS.search(t) and not _BIDS.search(t)), None),
        bids=next((t for t in texts if _BIDS.search(t)), None),
        time_left=text(first_of(index, "s-card__time-left")) or next((t for t in texts if " left" in t), None),
        condition=_condition(subtitle),
        location=next((t for t in texts if _LOCATION_PREFIX.match(t) and not _SHIPPING_WORDS.search(t)), None),
        seller=next((t for t in texts if _SELLER_RATING.search(t)), None),
        image_url=_image(index.get("s-card__image") or islice(row.iterdescendants("img"), 1)),
        sold=bool(_SOLD.match(text(first_of(index, "s-card__caption")) or "")),
    )


def _condition(subtitle: Element | None) -> str | None:
    """The subtitle's first styled text (the condition), else all of it."""
    if subtitle is None:
        return None
    styled = first(subtitle, class_="su-styled-text")
    return text(styled if styled is not None else subtitle)


def _s_item_image(index: Mapping[str, list[Element]]) -> str | None:
    """An `s-item` card's picture: an `img.s-item__image-img` until 2022, since 2023 a bare <img>
    in the image wrapper, so any <img> of the card's picture area."""
    area = first_of(index, "s-item__image-section", "s-item__image", "s-item__image-wrapper")
    return _image(area.iterdescendants("img") if area is not None else index.get("s-item__image-img", []))


def _ancestor(element: Element, name: str) -> Element | None:
    """The nearest ancestor of `element` with the class `name`."""
    return next((parent for parent in element.iterancestors() if name in classes(parent)), None)


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
    parts = _DURATION.findall(_PARENTHESES.sub("", time_left))[:_DURATION_PARTS]
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


def _image(images: Iterable[Element]) -> str | None:
    """The first real picture among `images`: a lazily loaded <img> has it in an attribute its
    script reads, `src` being eBay's placeholder graphic or an inline data: image until then."""
    for image in images:
        for attribute in _IMAGE_SOURCES:
            words = (image.get(attribute) or "").split(maxsplit=1)
            url = words[0].rstrip(",") if words else ""
            if url.startswith(("https://", "http://")) and "ebaystatic.com" not in url:
                return url
    return None
