"""Facebook Marketplace search and category pages.

The listings come from the GraphQL result the page embeds for its own first render
(RelayPrefetchedStreamCache → `__bbox.result.data`, with the feed in `marketplace_search.feed_units`
for searches and `viewer.marketplace_feed_stories` for category pages). Current pages hold it in
`<script type="application/json">`; the 2023 layout hands the same JSON to a JavaScript call in a
plain `<script>` (`requireLazy([...], function (...) { ... .handle({...}) })`), so the feed is
read from its key on, whatever wraps it. A page saved from a browser also holds the cards it
rendered — more of them when the person scrolled — and those are read by structure and text order,
since the class names are scrambled: price line (current price, then any struck-out one), title,
location, subtitles.

Further pages exist only behind Facebook's GraphQL endpoint and its session tokens, so one scan
reads the first page (about two dozen listings).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from models.settings import Settings, get_settings
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
from scanner.marketplaces.html import Element, parse_html
from scanner.marketplaces.prices import parse_price
from scanner.marketplaces.text import clean_text

BASE_URL = "https://www.facebook.com"
_FEED_KEY = re.compile(r'"(?:feed_units|marketplace_feed_stories)"\s*:\s*')
_JSON = json.JSONDecoder()
_UNDECODABLE_FEEDS = 8  # feed values that do not decode, after which a page is not read for more
_ITEM_HREF = re.compile(r"/marketplace/item/(\d+)")
_CITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# A price line holds amounts only: "$1,200", "CA$45", "1.049,00 €", "12 500 kr", "¥12,000", "Free" —
# at most two in one string ("$1,200$1,500" when both spans were flattened). Only short strings are
# tried (`_PRICE_TEXT_MAX`), which keeps the matcher's backtracking small whatever a page holds.
_PRICE_TEXT_MAX = 40
_AMOUNT = r"(?:[A-Z]{0,3}[^\w\s]{1,2} ?)?\d[\d.,]*(?:[ \u00a0\u202f]\d{3})*(?: ?(?:[^\w\s]{1,2}|[A-Z]{3}\b|kr|zł))?"
_PRICE_TEXT = re.compile(rf"(?i:free|gratis)|{_AMOUNT}(?: ?{_AMOUNT})?")
_MILEAGE = re.compile(r"(?<![\d.,])(\d[\d.,]{0,12})(?![\d.,])\s?(K)?\s?(miles|mi|km)\b", re.IGNORECASE)
_SHIPS = re.compile(r"^ships to you$", re.IGNORECASE)
_LOGIN_TEXT = re.compile(r"log in to continue|you must log in|log into facebook", re.IGNORECASE)
_CONDITIONS: dict[str, str] = {Condition.NEW: "new", Condition.USED: "used_like_new,used_good,used_fair"}
_MILES_TO_KM = Decimal("1.609344")
_MIN_LOCATION_ID_DIGITS = 9  # Marketplace location ids are long; five digits is a postal code, which it does not take


class FacebookAdapter(MarketplaceAdapter):
    name = "facebook"
    default_currency = "USD"

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        """One search page, sent with the operator's cookies when they run it signed in."""
        headers = {"Accept-Language": "en-US,en;q=0.9"}
        cookies = (self._settings or get_settings()).facebook_cookies
        if cookies is not None and cookies.get_secret_value().strip():
            headers["Cookie"] = cookies.get_secret_value().strip()
        url = search_url(query.location)
        response = client.get(url, params=search_params(query), headers=headers)
        return self._listings(response.text, response.url or url, query.currency)

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        return self._listings(body, source_url, self.default_currency)

    def _listings(self, body: str, source_url: str | None, currency: str) -> list[ListingData]:
        """`currency` is what a bare `$` means: the search's own currency when there is one."""
        path = urlsplit(source_url or "").path
        if path.startswith(("/login", "/checkpoint")):
            kind = ErrorClass.LOGIN_WALL if path.startswith("/login") else ErrorClass.BLOCKED
            raise ScanError(kind, f"facebook redirected to {path}")
        feeds = list(_feeds(body))
        from_json = _read_edges([edge for feed in feeds for edge in feed], currency)
        known = {listing.external_id for listing in from_json}
        from_cards = [card for card in _read_cards(body, currency) if card.external_id not in known]
        if feeds or from_cards:
            return _in_page_currency(from_json + from_cards)
        raise _unreadable_page(body)


def _in_page_currency(listings: list[ListingData]) -> list[ListingData]:
    """A free listing names no currency: it takes the one the page's other prices are in."""
    priced = Counter(listing.currency for listing in listings if listing.price)
    if not priced:
        return listings
    currency = priced.most_common(1)[0][0]
    return [listing if listing.price else replace(listing, currency=currency) for listing in listings]


def search_url(location: str | None) -> str:
    """`/marketplace/<city>/search` for a city slug or numeric location id (`boston`,
    `112763262068081`, or a Marketplace URL naming one); without one, the account's own area."""
    city = (location or "").strip()
    if "/marketplace/" in city:
        city = city.split("/marketplace/", 1)[1].split("/", 1)[0]
    if not city:
        return f"{BASE_URL}/marketplace/search"
    if not _CITY.fullmatch(city) or (city.isdigit() and len(city) < _MIN_LOCATION_ID_DIGITS):
        raise ScanError(
            ErrorClass.CONFIGURATION,
            f"facebook location '{city}' is not a Marketplace city name or id (what follows /marketplace/ in its URL)",
        )
    return f"{BASE_URL}/marketplace/{city.lower()}/search"


def search_params(query: SearchQuery) -> dict[str, str]:
    """The search page's query string; Marketplace takes whole prices and a radius in kilometres."""
    params = {"query": query.query, "exact": "false"}
    if query.min_price is not None:
        params["minPrice"] = str(math.floor(query.min_price))
    if query.max_price is not None:
        params["maxPrice"] = str(math.ceil(query.max_price))
    if query.radius_miles:
        params["radius"] = str(round(query.radius_miles * _MILES_TO_KM))
    if query.condition and query.condition in _CONDITIONS:
        params["itemCondition"] = _CONDITIONS[query.condition]
    return params


def listing_url(listing_id: str) -> str:
    return f"{BASE_URL}/marketplace/item/{listing_id}/"


# --- the embedded GraphQL result ------------------------------------------------------------


def _feeds(body: str) -> Iterator[list[Any]]:
    """The `edges` of every listing feed, each decoded from its own key on: the JSON around it
    may be a JSON script, an argument of a JavaScript call (read, never run) or a bare GraphQL
    reply. A value that does not decode — a cut-off or altered payload — is no feed.

    Each step is linear in the page's length, and taken a bounded number of times: whether a key
    is inside a script is told by the last `<script` and `</script` before it, searched for only
    since the previous key; and a value that does not decode costs a count of the lines before it
    (the decoder's error says where it failed), so after `_UNDECODABLE_FEEDS` of them the rest of
    the page is not tried — a page has a feed or two. (Both were once per key: 248 KB of script
    tags and keys took 18 s.)"""
    bare_reply = body.lstrip().startswith(("{", "for (;;);"))
    position = searched = undecodable = 0
    opened = closed = -1  # the last `<script` and `</script` before the key
    while (key := _FEED_KEY.search(body, position)) is not None:
        position = key.end()
        if not bare_reply:
            since = max(searched - len("</script") + 1, 0)  # a tag the last search's end cut in two
            opened = max(opened, body.rfind("<script", since, key.start()))
            closed = max(closed, body.rfind("</script", since, key.start()))
            searched = key.start()
            if opened <= closed:
                continue  # the page's text, which sellers write, is no data
        try:
            feed, position = _JSON.raw_decode(body, key.end())
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
            undecodable += 1
            if undecodable == _UNDECODABLE_FEEDS:
                return
            continue
        if isinstance(feed, dict) and isinstance(feed.get("edges"), list):
            yield feed["edges"]


def _read_edges(edges: list[Any], currency: str) -> list[ListingData]:
    """Listings of the feed's edges; rows that are not listings (headers, ads) have no `listing`."""
    candidates = [edge["node"]["listing"] for edge in edges if isinstance(_get(edge, "node", "listing"), dict)]
    read = (_json_listing(candidate, currency) for candidate in candidates)
    listings = first_sightings(listing for listing in read if listing is not None)
    if candidates and not listings:
        raise ScanError(
            ErrorClass.MARKUP_CHANGED, f"none of the {len(candidates)} facebook feed listings could be read"
        )
    return listings


def _json_listing(data: Mapping[str, Any], currency: str) -> ListingData | None:
    listing_id = str(data.get("id") or "")
    title = clean_text(data.get("marketplace_listing_title")) or clean_text(data.get("custom_title"))
    if not listing_id.isdigit() or not title:
        return None
    price_data = (
        data.get("listing_price") if isinstance(data.get("listing_price"), dict) else data.get("min_listing_price")
    )
    money = _json_money(price_data, currency)
    was = _json_money(data.get("strikethrough_price"), currency)
    extra: dict[str, Any] = {}
    price_max = _json_money(data.get("max_listing_price"), currency)
    if price_max is not None and money is not None and price_max[0] > money[0]:
        extra["price_max"] = price_max[0]
    display_title = clean_text(data.get("custom_title"))
    if display_title and display_title != title:
        extra["display_title"] = display_title
    subtitle_items = _list(data.get("custom_sub_titles_with_rendering_flags"))
    subtitles = [clean_text(_get(item, "subtitle")) for item in subtitle_items]
    extra.update(_subtitle_extras([subtitle for subtitle in subtitles if subtitle]))
    if _list(data.get("delivery_types")):
        extra["delivery_types"] = [str(kind) for kind in data["delivery_types"]]
    geocode = _get(data, "location", "reverse_geocode") or {}
    places = (clean_text(_get(geocode, "city")), clean_text(_get(geocode, "state")))
    location = ", ".join(part for part in places if part)
    return ListingData(
        external_id=listing_id,
        title=title,
        url=listing_url(listing_id),
        price=money[0] if money else None,
        currency=money[1] if money else currency,
        image_url=clean_text(_get(data, "primary_listing_photo", "image", "uri")),
        location=location or clean_text(_get(geocode, "city_page", "display_name")),
        seller=clean_text(_get(data, "marketplace_listing_seller", "name")),
        original_price=was[0] if was and money and was[0] != money[0] else None,
        status=_status(data),
        extra=extra,
    )


def _json_money(value: Any, currency: str) -> tuple[Decimal, str] | None:
    """A GraphQL price: `amount` is exact, `formatted_amount` tells the currency ("Free" is 0)."""
    if not isinstance(value, dict):
        return None
    formatted = parse_price(clean_text(value.get("formatted_amount")), default_currency=currency)
    amount = _decimal(value.get("amount"))
    if amount is not None:
        return amount, formatted.currency if formatted else currency
    return (formatted.amount, formatted.currency) if formatted else None


def _status(data: Mapping[str, Any]) -> ListingStatusName:
    if data.get("is_sold") is True:
        return "sold"
    if data.get("is_pending") is True:
        return "pending"
    return "active"


# --- rendered cards ---------------------------------------------------------------------------


def _read_cards(body: str, currency: str) -> list[ListingData]:
    """Listings of the rendered cards: `a[href*="/marketplace/item/<id>"]` with an image and
    text lines in a fixed order."""
    if "/marketplace/item/" not in body:
        return []
    read = (_card_listing(card, currency) for card in _cards(parse_html(body)))
    return first_sightings(listing for listing in read if listing is not None)


@dataclass
class _Card:
    """What a card shows: its text, one entry per block — strings sharing their nearest `div` in
    the card are one line (the current and the struck-out price are two spans of one line) — and
    its picture."""

    anchor: Element
    lines: list[list[str]] = field(default_factory=list)
    image: str | None = None  # the `src` of its first picture that has one
    last_block: Element | None = None


def _cards(root: Element) -> list[_Card]:
    """The cards of the page in document order, read in one walk of the page (lxml's tree, as
    BeautifulSoup's lxml builder parses it): each string — text, comment, script — and picture
    belongs to its innermost card, and each string's block is carried down the walk. (BeautifulSoup
    with a strainer, a search per card and a climb to each string's block took time quadratic in
    how deeply a page nests its cards: cut-off markup nests them thousands deep.)"""
    cards: list[_Card] = []
    stack: list[tuple[Element | str, _Card | None, Element | None]] = [(root, None, None)]
    while stack:
        node, card, block = stack.pop()
        if isinstance(node, str):
            if card is not None and (text := clean_text(node)):
                line_block = block if block is not None else card.anchor
                if line_block is card.last_block and card.lines:
                    card.lines[-1].append(text)
                else:
                    card.lines.append([text])
                    card.last_block = line_block
            continue
        if not isinstance(node.tag, str):  # a comment or processing instruction: its text only
            stack.append((node.text or "", card, block))
            continue
        if node.tag == "a" and _ITEM_HREF.search(node.get("href") or ""):
            card, block = _Card(node), None
            cards.append(card)
        elif node.tag == "img" and card is not None and card.image is None and node.get("src") is not None:
            card.image = node.get("src")
        inner = node if node.tag == "div" else block
        for child in reversed(node):
            stack.append((child.tail or "", card, inner))
            stack.append((child, card, inner))
        stack.append((node.text or "", card, inner))
    return cards


def _card_listing(card: _Card, currency: str) -> ListingData | None:
    match = _ITEM_HREF.search(card.anchor.get("href") or "")
    lines = card.lines
    if match is None or not lines:
        return None
    price: Decimal | None = None
    was: Decimal | None = None
    if all(len(text) <= _PRICE_TEXT_MAX and _PRICE_TEXT.fullmatch(text) for text in lines[0]):
        amounts = [parse_price(text, default_currency=currency) for text in lines.pop(0)]
        current = amounts[0]
        price, currency = (current.amount, current.currency) if current else (None, currency)
        if len(amounts) > 1 and amounts[1] is not None and amounts[1].amount != price:
            was = amounts[1].amount
    if not lines:
        return None
    title = " ".join(lines.pop(0))
    rest = [" ".join(line) for line in lines]
    location = rest.pop(0) if rest and not _MILEAGE.match(rest[0]) and not _SHIPS.match(rest[0]) else None
    extra = _subtitle_extras([text for text in rest if not _SHIPS.match(text)])
    if any(_SHIPS.match(text) for text in rest):
        extra["ships_to_you"] = True
    src = card.image or ""
    return ListingData(
        external_id=match.group(1),
        title=title,
        url=listing_url(match.group(1)),
        price=price,
        currency=currency,
        image_url=src if src.startswith("http") else None,
        location=location,
        original_price=was,
        extra=extra,
    )


def _subtitle_extras(subtitles: list[str]) -> dict[str, Any]:
    """Subtitles as shown ("16K miles", "300 miles · Dealership") and the mileage they state."""
    if not subtitles:
        return {}
    extra: dict[str, Any] = {"subtitles": subtitles}
    for subtitle in subtitles:
        match = _MILEAGE.search(subtitle)
        mileage = _mileage(match.group(1), thousands=bool(match.group(2))) if match else None
        if match and mileage is not None:
            extra["mileage"] = mileage
            extra["mileage_unit"] = "km" if match.group(3).lower() == "km" else "miles"
            break
    return extra


def _mileage(number: str, *, thousands: bool) -> int | None:
    """The number of a mileage: with K it counts thousands (8.1K is 8100), without K its commas
    and dots separate thousands (85,000)."""
    if not thousands:
        return int(re.sub(r"[.,]", "", number))
    amount = _decimal(number.replace(",", "."))
    return int(amount * 1000) if amount is not None else None


# --- pages without listings -------------------------------------------------------------------


def _unreadable_page(body: str) -> ScanError:
    """Why a page with neither a feed nor cards has no listings: a login wall, a check, or markup
    this parser no longer knows. (A logged-out page with listings also has a login form.)"""
    soup = BeautifulSoup(body, "lxml")
    login_form = soup.select_one("form#login_form, form[action*='/login'], input[name='pass']")
    if login_form is not None or _LOGIN_TEXT.search(soup.get_text(" ", strip=True)):
        return ScanError(ErrorClass.LOGIN_WALL, "facebook shows a login form instead of Marketplace")
    if soup.select_one("form[action*='/checkpoint'], [id*='captcha'], iframe[src*='captcha']") is not None:
        return ScanError(ErrorClass.BLOCKED, "facebook asks for a security check")
    return ScanError(ErrorClass.MARKUP_CHANGED, "no Marketplace feed data and no listing cards on the page")


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _decimal(value: Any) -> Decimal | None:
    """A finite amount, or None ("NaN" and "Infinity" parse as decimals but are no price)."""
    try:
        amount = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() else None
