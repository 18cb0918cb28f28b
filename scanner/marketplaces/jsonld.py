"""One product page in any shop, watched through the structured data shops publish for search
engines: schema.org JSON-LD first, then microdata, then OpenGraph product tags. Where they
disagree on the price, the buyer pays the lowest (a sale that reached only some of them, see
`_prices`); a currency must be an ISO 4217 code, else the price's symbol or the page's locale tells
it (`_currency` decides, in one place).

The search's `query` is the page URL. Because a user can type any URL, only http(s) URLs whose
host resolves to public addresses are fetched: this adapter must not become a way to reach the
server's own network (cloud metadata, admin panels, databases).

Parser: lxml directly (`lxml.etree.HTMLParser`: libxml2's HTML parser, already our pinned
BeautifulSoup tree builder, fed the page as BeautifulSoup fed it), not BeautifulSoup. A shop's
product page is mostly markup this adapter never reads (menus, CSS, scripts, carousels), and
BeautifulSoup builds a Python object for every tag and string of it. On the 64 KB shop page of
the bench (`tests/fixtures/jsonld/shop_product_64kb.html`, 63.5 KB) the adapter took 46 ms of CPU
with the whole soup (73 ms per 100 KB; the soup alone 38 ms), against a budget of 10 ms per
100 KB. A `SoupStrainer` cannot meet it: keeping only the `<script>` tags still costs 13.6 ms
(21 ms per 100 KB), since every tag still passes through BeautifulSoup's Python code, and the
microdata rules need the page's real nesting, which a strainer flattens. With lxml the tree is
built in C and only the elements read become Python objects (found with `iter(tag)` and XPath):
2.3 ms for that page, 3.7 ms per 100 KB (median of the bench's parse figure; 2.3 to 4.2 ms per
page on the noisy 2-core bench machine). The readers keep BeautifulSoup's semantics (the first
match in document order, `rel` and `class` as words, CSS selectors not entering `<template>`,
text as `get_text(" ", strip=True)` gives it: `_strings`), so the adapter behaves as before: both
versions, run over every fixture and 16,000 generated pages, gave the same listings and errors.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import logging
import re
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin, urlsplit

from lxml import etree

from models.formatting import one_line
from models.settings import Settings, get_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.http_guard import is_public_address, parse_target
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    ListingStatusName,
    MarketplaceAdapter,
    SearchQuery,
)
from scanner.marketplaces.prices import iso_currency, locale_currency, parse_price, stated_currency
from scanner.marketplaces.text import clean_text
from scanner.marketplaces.urls import canonical_url

if TYPE_CHECKING:
    from lxml.etree import _Element as Element  # lxml's element class, as its documentation and stubs name it

MAX_EXTERNAL_ID_LENGTH = 128  # Listing.external_id
_PRODUCT_TYPES = frozenset(
    {"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts", "Car", "Vehicle"}
)
_JSON_LD_TYPE = re.compile(r"^\s*application/ld\+json", re.I)
_SCRIPT_WRAPPING = re.compile(r"^\s*(<!--|//\s*<!\[CDATA\[)|(-->|//\s*\]\]>)\s*$")  # old browsers' habit
_MICRODATA_PRODUCT = re.compile(
    r"schema\.org/(Product|ProductGroup|IndividualProduct|ProductModel|Car|Vehicle)\b", re.I
)
_MICRODATA_OFFER = re.compile(r"schema\.org/(Offer|AggregateOffer)\b", re.I)
_ORIGINAL_PRICE_TYPES = frozenset({"StrikethroughPrice", "ListPrice", "MSRP", "SRP"})
_AVAILABILITY: Mapping[str, ListingStatusName] = {
    "instock": "active",
    "instoreonly": "active",
    "onlineonly": "active",
    "limitedavailability": "active",
    "availablefororder": "active",
    "preorder": "pending",
    "presale": "pending",
    "backorder": "pending",
    "outofstock": "sold",
    "oos": "sold",
    "soldout": "sold",
    "discontinued": "sold",
}
_MICRODATA_VALUE_ATTRIBUTES = {
    "meta": "content",
    "a": "href",
    "link": "href",
    "area": "href",
    "img": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "data": "value",
    "meter": "value",
    "time": "datetime",
}
_CONDITIONS = {
    "newcondition": "new",
    "usedcondition": "used",
    "refurbishedcondition": "refurbished",
    "damagedcondition": "damaged",
}
# A bot check instead of the page: `#challenge-form, .cf-turnstile, .g-recaptcha, .h-captcha,
# iframe[src*=captcha]`, or a title that asks for one.
_CHALLENGE_ID = "challenge-form"
_CHALLENGE_CLASSES = frozenset({"cf-turnstile", "g-recaptcha", "h-captcha"})
_CHALLENGE_TITLES = ("just a moment", "attention required", "are you a robot", "access denied", "robot check")
_SIGN_IN = re.compile(
    r"\b(sign[\s_-]?in|log[\s_-]?[io]n|anmeld\w*|connexion|se connecter|iniciar sesi[oó]n|accedi|inloggen|zaloguj\w*)\b",
    re.I,
)
_NAME_PROPERTY = re.compile(r"(^|\s)name(\s|$)")
# Whose text is not the page's own (BeautifulSoup's string containers): an element's text leaves
# theirs out, unless the element is one of them.
_STRING_CONTAINERS = ("script", "style", "template", "rt", "rp")

log = logging.getLogger(__name__)


class JsonLdAdapter(MarketplaceAdapter):
    name = "jsonld"

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        url = query.query.strip()
        self.check_url(url)
        response = client.get(url)
        final_url = response.url or url
        self.check_url(final_url)  # the client checks every hop it sends; this guards other clients
        return self.parse(response.text, source_url=final_url)

    def check_url(self, url: str) -> None:
        check_fetchable(url, allow_private=self._settings.jsonld_allow_private_addresses)

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        page = _parse_html(body)
        sources = [facts for facts in (_from_json_ld(page), _from_microdata(page), _from_open_graph(page)) if facts]
        if not sources:
            _raise_unreadable(page, source_url)
        facts = _merge(sources)
        title = facts.title or _page_title(page)
        url = _page_url(page, facts, source_url)
        if not title or not url:
            missing = "a product name" if not title else "a URL (pass the page's URL)"
            raise ScanError(ErrorClass.MARKUP_CHANGED, f"product data without {missing}")
        currency = _currency(sources, page, url)
        price, original = _prices(sources, currency)
        extra = {key: value for key, value in (("sku", facts.sku), ("brand", facts.brand)) if value}
        return [
            ListingData(
                external_id=_external_id(url),
                title=one_line(title),
                url=url,
                price=price,
                currency=currency,
                image_url=urljoin(url, facts.image) if facts.image else None,
                condition=_CONDITIONS.get(_term(facts.condition), facts.condition) if facts.condition else None,
                shipping=_amount(facts.shipping),
                seller=facts.seller,
                original_price=original,
                status=_AVAILABILITY.get(_term(facts.availability), "active"),
                extra=extra,
            )
        ]


def check_fetchable(url: str, *, allow_private: bool) -> None:
    """Refuse malformed and non-http(s) URLs, and hosts whose name resolves to a non-public address.

    An early check by name, for a clear message before any request (and the only check left when
    a proxy makes the connection); the authoritative one is made on the connected socket
    (`scanner.http_guard`, installed by `scanner.http.build_session` for this marketplace), since a
    name may resolve differently a moment later (DNS rebinding)."""
    target = parse_target(url)  # ScanError(NOT_ALLOWED) for anything malformed
    if allow_private:
        return
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        addresses = {str(info[4][0]) for info in found}  # IPv4 and IPv6 addresses are text
    except (OSError, UnicodeError) as error:
        raise ScanError(ErrorClass.CONNECTION, f"cannot resolve {target.host}: {error}") from None
    for address in addresses:
        if not is_public_address(address):
            raise ScanError(
                ErrorClass.NOT_ALLOWED,
                f"{target.host} resolves to {address}, a private or reserved address "
                "(set JSONLD_ALLOW_PRIVATE_ADDRESSES=true to watch shops on your own network)",
            )


@dataclass(frozen=True)
class _Facts:
    """What one kind of structured data says about the product (raw values, not yet normalized)."""

    title: str | None = None
    price: Any = None
    currency: str | None = None
    original_price: Any = None
    shipping: Any = None
    availability: str | None = None
    image: str | None = None
    url: str | None = None
    sku: str | None = None
    brand: str | None = None
    condition: str | None = None
    seller: str | None = None


def _merge(sources: list[_Facts]) -> _Facts:
    """Each fact from the first kind of structured data that has it."""
    return _Facts(
        **{
            field.name: next((getattr(s, field.name) for s in sources if getattr(s, field.name) is not None), None)
            for field in fields(_Facts)
        }
    )


# -- the page ---------------------------------------------------------------------------------------


class _Page:
    """The parsed page: its top-level elements in document order. That is one `<html>` (libxml2
    adds it when the page has none), or more when content follows `</html>`: libxml2 starts
    another `<html>` for it, as in the tree BeautifulSoup built with it, whose document held them all."""

    __slots__ = ("tops",)

    def __init__(self, tops: list[Element]) -> None:
        self.tops = tops

    def iter(self, *tags: str) -> Iterator[Element]:
        """The page's elements (only those of `tags` when given; no comments) in document order."""
        selected = tags or (etree.Element,)
        if len(self.tops) == 1:
            return self.tops[0].iter(*selected)
        return itertools.chain.from_iterable(top.iter(*selected) for top in self.tops)

    def select(self, path: etree.XPath) -> list[Element]:
        """What `path` finds from each top-level element, in document order."""
        return [element for top in self.tops for element in _select(path, top)]


def _parse_html(body: str) -> _Page:
    """The page parsed as BeautifulSoup's lxml tree builder parsed it: the text fed to libxml2's
    HTML parser as it is, without a byte order mark. A body without any element is an empty `<html>`."""
    parser = etree.HTMLParser(collect_ids=False)  # a parser per page: one parser serves one thread at a time
    try:
        parser.feed(body.removeprefix("\ufeff"))
        root = parser.close()
    except etree.LxmlError:  # no element at all: nothing to read
        root = None
    if root is None:
        return _Page([etree.Element("html")])
    return _Page([root, *root.itersiblings(etree.Element)])


# Elements with an attribute, in document order; reached through the attribute (`@a/..`), which
# libxml2 finds three times faster than by testing every element (`*[@a]`). lxml lets one thread at a
# time evaluate an XPath object, which is short enough for a worker's threads.
_TYPED_ITEMS = etree.XPath("descendant-or-self::*/@itemtype/..")
_PROPERTIES = etree.XPath("descendant::*/@itemprop/..")
_PROPERTIES_OR_SELF = etree.XPath("descendant-or-self::*/@itemprop/..")


def _select(path: etree.XPath, element: Element) -> list[Element]:
    """The elements an element-selecting XPath finds from `element`, in document order."""
    return cast("list[Element]", path(element))


def _first(elements: Iterator[Element]) -> Element | None:
    """The first element, in document order. (lxml elements are false when they have no children:
    never pick one with `or`.)"""
    return next(elements, None)


def _first_where(elements: Iterator[Element], condition: Callable[[Element], bool]) -> Element | None:
    return next((element for element in elements if condition(element)), None)


def _has(element: Element, attribute: str) -> bool:
    """The attribute is there, with a value or without (`<div itemscope>` has it, as "")."""
    return element.get(attribute) is not None


def _text(element: Element) -> str:
    """The element's text as BeautifulSoup's `get_text(" ", strip=True)` gives it: its strings
    (`_strings`) stripped, the empty ones left out, joined by spaces."""
    return " ".join(stripped for string in _strings(element) if (stripped := string.strip()))


def _strings(element: Element) -> list[str]:
    """The element's text nodes in document order as BeautifulSoup counts them: never comments,
    and the contents of script, style, template and ruby annotations (its string containers) only
    when the element is one of those itself; an element inside one of them has no text."""
    own = element.tag if element.tag in _STRING_CONTAINERS else None
    if own is None and _first(element.iterancestors(*_STRING_CONTAINERS)) is not None:
        return []
    found: list[str] = []
    _collect_strings(element, own, own, found)
    return found


def _collect_strings(element: Element, inside: str | None, wanted: str | None, found: list[str]) -> None:
    """Append the text directly in `element` and below it whose closest string container is
    `wanted`; `inside` is the closest one around `element`'s own text."""
    if element.text and inside == wanted:
        found.append(element.text)
    for child in element:
        if isinstance(child.tag, str):  # not a comment or a processing instruction
            _collect_strings(child, child.tag if child.tag in _STRING_CONTAINERS else inside, wanted, found)
        if child.tail and inside == wanted:
            found.append(child.tail)


# -- JSON-LD ---------------------------------------------------------------------------------------


def _from_json_ld(page: _Page) -> _Facts | None:
    products = [node for node in _json_ld_nodes(page) if _types(node) & _PRODUCT_TYPES]
    if not products:
        return None
    product = next((p for p in products if _offers(p)), products[0])
    offer = _best_offer(_offers(product))
    price, original = _offer_prices(offer) if offer else (None, None)
    return _Facts(
        title=_string(product.get("name")),
        price=price,
        currency=_string(offer.get("priceCurrency")) or _spec_currency(offer) if offer else None,
        original_price=original,
        shipping=_shipping_rate(offer.get("shippingDetails")) if offer else None,
        availability=_string(offer.get("availability")) if offer else None,
        image=_image(product.get("image")),
        url=_string(product.get("url")),
        sku=_string(product.get("sku")),
        brand=_name(product.get("brand")),
        condition=_string((offer or {}).get("itemCondition") or product.get("itemCondition")),
        seller=_name(offer.get("seller")) if offer else None,
    )


def _json_ld_nodes(page: _Page) -> Iterator[Mapping[str, Any]]:
    for script in page.iter("script"):
        kind = script.get("type")
        if kind is None or not _JSON_LD_TYPE.search(kind):
            continue
        text = "".join(_strings(script))
        if "<!" in text or "-->" in text or "]]>" in text:  # the substitution's cost only where it can match
            text = _SCRIPT_WRAPPING.sub("", text)
        try:
            data = json.loads(text, strict=False)  # shops leave raw newlines in descriptions
        except ValueError:
            continue  # one broken block must not hide the others
        yield from _walk(data)


def _walk(data: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _walk(data[key])


def _types(node: Mapping[str, Any]) -> set[str]:
    value = node.get("@type")
    names = value if isinstance(value, list) else [value]
    return {_term(name, lower=False) for name in names if isinstance(name, str)}


def _offers(product: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A product's offers, with AggregateOffers' own offer lists and ProductGroup variants unrolled."""
    raw = product.get("offers")
    offers = [offer for offer in (raw if isinstance(raw, list) else [raw]) if isinstance(offer, dict)]
    unrolled: list[Mapping[str, Any]] = []
    for offer in offers:
        nested = offer.get("offers")
        if "lowPrice" not in offer and "price" not in offer and isinstance(nested, (list, dict)):
            unrolled += _offers(offer)
        else:
            unrolled.append(offer)
    variants = product.get("hasVariant")
    if not unrolled and isinstance(variants, list):
        unrolled = [offer for variant in variants if isinstance(variant, dict) for offer in _offers(variant)]
    return unrolled


def _best_offer(offers: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The cheapest offer one can buy now; the cheapest of all when none is in stock."""
    if not offers:
        return None
    buyable = [o for o in offers if _AVAILABILITY.get(_term(_string(o.get("availability")))) in (None, "active")]
    candidates = buyable or offers
    priced = [(amount, o) for o in candidates if (amount := _amount(_offer_prices(o)[0])) is not None]
    return min(priced, key=lambda pair: pair[0])[1] if priced else candidates[0]


def _offer_prices(offer: Mapping[str, Any]) -> tuple[Any, Any]:
    """(price, struck-out price) of an Offer; an AggregateOffer counts with its low price."""
    price = offer.get("lowPrice") if "AggregateOffer" in _types(offer) else None
    price = price if price is not None else offer.get("price")
    original = None
    for spec in _as_list(offer.get("priceSpecification")):
        if _term(_string(spec.get("priceType")), lower=False) in _ORIGINAL_PRICE_TYPES:
            original = spec.get("price")
        elif price is None:
            price = spec.get("price")
    return price, original


def _spec_currency(offer: Mapping[str, Any]) -> str | None:
    return next((_string(s.get("priceCurrency")) for s in _as_list(offer.get("priceSpecification"))), None)


def _shipping_rate(details: Any) -> Any:
    for detail in _as_list(details):
        rate = detail.get("shippingRate")
        if isinstance(rate, dict) and rate.get("value") is not None:
            return rate["value"]
    return None


def _image(value: Any) -> str | None:
    first = value[0] if isinstance(value, list) and value else value
    if isinstance(first, dict):
        return _string(first.get("url") or first.get("contentUrl"))
    return _string(first)


def _name(value: Any) -> str | None:
    return _string(value.get("name")) if isinstance(value, dict) else _string(value)


def _as_list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in (value if isinstance(value, list) else [value]) if isinstance(item, dict)]


def _string(value: Any) -> str | None:
    """A JSON-LD scalar as text. Script contents are not HTML-decoded by browsers, yet shops
    escape them anyway ("Salt &amp; Pepper"), so entities are decoded here."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return clean_text(html.unescape(str(value)))
    return None


# -- microdata and OpenGraph -------------------------------------------------------------------------


def _from_microdata(page: _Page) -> _Facts | None:
    """The first microdata Product; failing that, the first Offer. Shops often mark the product
    with an `itemtype` but no `itemscope`, or only its name with an `itemprop`, which leaves the
    Offer the only item on the page: the product is then the element that carries the Product
    type, else the Offer itself, and its name the closest loose `itemprop="name"`."""
    typed = page.select(_TYPED_ITEMS)
    scope = _first_where(iter(typed), lambda e: _has(e, "itemscope") and _typed(e, _MICRODATA_PRODUCT))
    if scope is None:
        offer = _first_where(iter(typed), lambda e: _has(e, "itemscope") and _typed(e, _MICRODATA_OFFER))
        if offer is None:
            return None
        product = _first_where(offer.iterancestors(), lambda e: _typed(e, _MICRODATA_PRODUCT))
        scope = product if product is not None else offer
    props: dict[str, str] = {}
    for element in _select(_PROPERTIES, scope):
        if _has(element, "itemscope") or not _belongs_to(element, scope):
            continue
        names = (element.get("itemprop") or "").split()
        if any(name not in props for name in names):
            value = _microdata_value(element)
            for name in names:
                props.setdefault(name, value)
    return _Facts(
        title=props.get("name") or _loose_name(scope, page),
        price=props.get("price") or props.get("lowPrice"),
        currency=props.get("priceCurrency"),
        availability=props.get("availability"),
        image=props.get("image"),
        url=props.get("url"),
        sku=props.get("sku"),
        condition=props.get("itemCondition"),
    )


def _typed(element: Element, kind: re.Pattern[str]) -> bool:
    """The element's `itemtype` is of that kind."""
    return kind.search(element.get("itemtype") or "") is not None


def _belongs_to(element: Element, product: Element) -> bool:
    """A property of the product itself or of one of its offers, not of a review or a brand."""
    owner = _owner(element, product)
    if owner is product:
        return True
    return bool(
        owner is not None
        and _MICRODATA_OFFER.search(str(owner.get("itemtype", "")))
        and _owner(owner, product) is product
    )


def _owner(element: Element, product: Element) -> Element | None:
    """The item an element's property belongs to: its closest item, or the product when that comes
    first (a product can lack its `itemscope`)."""
    for ancestor in element.iterancestors():
        if ancestor is product or ancestor.get("itemscope") is not None:
            return ancestor
    return None


def _loose_name(scope: Element, page: _Page) -> str | None:
    """The closest `itemprop="name"` around `scope` that belongs to no item inside the area
    searched (a review's author, a brand, another product): the name of a product that lost its
    `itemscope`. The last area searched is the whole page (None), whose top-level elements are in it."""
    areas: list[Element | None] = [*scope.iterancestors(), None]
    for area in areas:
        around = list(area.iterancestors()) if area is not None else []
        candidates = _select(_PROPERTIES, area) if area is not None else page.select(_PROPERTIES_OR_SELF)
        for element in candidates:
            if not _NAME_PROPERTY.search(element.get("itemprop") or ""):
                continue
            owner = (
                element
                if _has(element, "itemscope")
                else _first_where(element.iterancestors(), lambda e: _has(e, "itemscope"))
            )
            if owner is None or owner is area or any(parent is owner for parent in around):
                return _microdata_value(element) or None
    return None


def _microdata_value(element: Element) -> str:
    """A property's value as the microdata spec reads it: from an attribute for some elements."""
    attribute = _MICRODATA_VALUE_ATTRIBUTES.get(element.tag)
    value = element.get(attribute) if attribute else element.get("content")
    return one_line(str(value if value is not None else _text(element)))


def _from_open_graph(page: _Page) -> _Facts | None:
    meta: dict[str, str] = {}
    for tag in page.iter("meta"):
        content, key = tag.get("content"), tag.get("property") or tag.get("name")
        if content is not None and key:
            meta[key.lower()] = content.strip()  # the last of a repeated tag counts
    regular = meta.get("product:price:amount") or meta.get("og:price:amount")
    sale = meta.get("product:sale_price:amount")
    if not (regular or sale) and meta.get("og:type") not in ("product", "og:product", "product.item"):
        return None
    return _Facts(
        title=meta.get("og:title"),
        price=sale or regular,
        currency=meta.get("product:price:currency") or meta.get("og:price:currency"),
        original_price=meta.get("product:original_price:amount") or (regular if sale else None),
        availability=meta.get("product:availability") or meta.get("og:availability"),
        image=meta.get("og:image"),
        url=meta.get("og:url"),
        sku=meta.get("product:retailer_item_id"),
        brand=meta.get("product:brand"),
        condition=meta.get("product:condition"),
    )


# -- normalizing ---------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal | None:
    """A price as schema.org writes it ("1299.00", 1299, or a shop's "1.299,00 €"); its currency is
    decided for the whole listing (`_declared_currency`, `_implied_currency`)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        try:
            return Decimal(text)
        except InvalidOperation:
            return None
    money = parse_price(text, default_currency=JsonLdAdapter.default_currency)
    return money.amount if money else None


def _prices(sources: list[_Facts], currency: str | None) -> tuple[Decimal | None, Decimal | None]:
    """The price a buyer pays now and the regular price it is marked down from.

    Shops on sale often update only part of their structured data: the JSON-LD may still say
    150.00 where the page's own price tags (OpenGraph, microdata) say 120.00, regular 150.00. The
    buyer pays the lowest current price any kind of structured data shows, so that is the price;
    the regular price is the first struck-out price above it that any of them declares. Prices
    declared in another currency than the listing's are not compared, and a zero counts only
    when no source gives more (a free item).
    """
    comparable = [s for s in sources if iso_currency(s.currency) in (None, currency)]
    amounts = [amount for s in comparable if (amount := _amount(s.price)) is not None]
    # a zero beside a real price is a placeholder some tag was left with, not a gift
    price = min((amount for amount in amounts if amount > 0), default=min(amounts, default=None))
    regular = (
        amount
        for s in comparable
        if (amount := _amount(s.original_price)) is not None and price is not None and amount > price
    )
    return price, next(regular, None)


def _currency(sources: list[_Facts], page: _Page, url: str) -> str | None:
    """The listing's ISO 4217 currency, decided here and nowhere else: the first code its
    structured data declares that ISO 4217 has, else the one a price's symbol or the page's locale
    implies. None when the page tells none — never a guess: a price of unknown money is kept but
    compared with nothing. Logged, with what the page declared, when there is a price it concerns."""
    known = _declared_currency(sources) or _implied_currency(sources, page)
    if known is None and any(_amount(s.price) is not None for s in sources):
        declared = ", ".join(repr(s.currency) for s in sources if s.currency) or "none"
        log.warning(
            "%s: no ISO 4217 currency for the price (declared: %s; no currency symbol in the price, no "
            "locale with a territory); recorded without a currency",
            url,
            declared,
        )
    return known


def _declared_currency(sources: list[_Facts]) -> str | None:
    """The first currency the structured data declares that ISO 4217 has ("ABC" is skipped)."""
    return next((code for code in (iso_currency(s.currency) for s in sources) if code), None)


def _implied_currency(sources: list[_Facts], page: _Page) -> str | None:
    """The currency a price's own symbol states ("24,99 zł"), else the one of the page's locale
    (og:locale, `<html lang>`) when it names a territory; None when neither tells."""
    locales = [
        str(tag.get("content"))
        for tag in page.iter("meta")
        if tag.get("property") == "og:locale" and _has(tag, "content")
    ]
    locales += [str(tag.get("lang")) for tag in page.iter("html") if _has(tag, "lang")]
    local = next((code for code in map(locale_currency, locales) if code), None)
    dollar = local or JsonLdAdapter.default_currency
    stated = (stated_currency(s.price, dollar=dollar) for s in sources if isinstance(s.price, str))
    return next((code for code in stated if code), local)


def _term(value: str | None, *, lower: bool = True) -> str:
    """The last word of a schema.org term: "https://schema.org/InStock" → "instock"."""
    if not value:
        return ""
    last = re.split(r"[/:#]", value.strip().rstrip("/"))[-1]
    return re.sub(r"[\s_-]", "", last.lower() if lower else last)


def _page_url(page: _Page, facts: _Facts, source_url: str | None) -> str | None:
    """The page's canonical URL, without tracking parameters; a canonical link to the shop's
    home page (a common misconfiguration) is ignored."""
    link = _first_where(
        page.iter("link"), lambda tag: "canonical" in (tag.get("rel") or "").split() and _has(tag, "href")
    )
    for candidate in (link.get("href") if link is not None else None, facts.url, source_url):
        if not candidate:
            continue
        absolute = canonical_url(str(candidate), base=source_url)
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc and (parts.path not in ("", "/") or parts.query):
            return absolute
    return canonical_url(source_url) if source_url else None


def _external_id(url: str) -> str:
    """The canonical URL itself; a digest of it when it is longer than the column."""
    if len(url) <= MAX_EXTERNAL_ID_LENGTH:
        return url
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()


def _page_title(page: _Page) -> str | None:
    """The product's name when no structured data gives one: og:title, the main heading, or the
    window title (last: shops append their own name to it)."""
    og_title = _first_where(page.iter("meta"), lambda tag: tag.get("property") == "og:title" and _has(tag, "content"))
    heading, title = _first(page.iter("h1")), _first(page.iter("title"))
    candidates = (
        str(og_title.get("content")) if og_title is not None else None,
        _text(heading) if heading is not None else None,
        _text(title) if title is not None else None,
    )
    return next((text for text in candidates if text and text.strip()), None)


def _is_sign_in_page(page: _Page, source_url: str | None) -> bool:
    """A page that is there to sign in: it has a password field, and its title, main heading or
    address says so. A password field alone proves nothing: many shops have a login box in their
    header on every page."""
    if _first_where(page.iter("input"), _is_password_field) is None:
        return False
    heading, title = _first(page.iter("h1")), _first(page.iter("title"))
    said = (
        _text(title) if title is not None else "",
        _text(heading) if heading is not None else "",
        urlsplit(source_url).path if source_url else "",
    )
    return any(_SIGN_IN.search(text) for text in said)


def _is_password_field(tag: Element) -> bool:
    """`input[type=password]`, whose value HTML compares without ASCII case."""
    kind = tag.get("type")
    return kind is not None and kind.isascii() and kind.lower() == "password" and _in_document(tag)


def _is_challenge(page: _Page) -> bool:
    """A bot check's form or widget on the page (see `_CHALLENGE_ID`)."""
    for element in page.iter():
        if (
            element.get("id") == _CHALLENGE_ID
            or not _CHALLENGE_CLASSES.isdisjoint((element.get("class") or "").split())
            or (element.tag == "iframe" and "captcha" in (element.get("src") or ""))
        ) and _in_document(element):
            return True
    return False


def _in_document(element: Element) -> bool:
    """Not in a `<template>`, whose contents CSS selectors do not reach (they are no part of the
    rendered page)."""
    return _first(element.iterancestors("template")) is None


def _raise_unreadable(page: _Page, source_url: str | None) -> None:
    """Why a page without product data has none; only called then, so a page with a price is never
    taken for a login wall. A bot check that answers 200 is `BLOCKED`: the shop served a challenge
    in place of the product (a refused response with one is the HTTP client's `CAPTCHA`)."""
    title_element = _first(page.iter("title"))
    title = _text(title_element).lower() if title_element is not None else ""
    if _is_challenge(page) or any(marker in title for marker in _CHALLENGE_TITLES):
        raise ScanError(ErrorClass.BLOCKED, f"the shop answered with a bot check ({title or 'challenge form'})")
    if _is_sign_in_page(page, source_url):
        raise ScanError(ErrorClass.LOGIN_WALL, "the page asks to sign in instead of showing the product")
    raise ScanError(ErrorClass.MARKUP_CHANGED, "no schema.org Product, microdata or OpenGraph product data on the page")
