"""One product page in any shop, watched through the structured data shops publish for search
engines: schema.org JSON-LD first, then microdata, then OpenGraph product tags. Where they
disagree on the price, the buyer pays the lowest (a sale that reached only some of them, see
`_prices`); a currency must be an ISO 4217 code, else the price's symbol or the page's locale tells it.

The search's `query` is the page URL. Because a user can type any URL, only http(s) URLs whose
host resolves to public addresses are fetched: this adapter must not become a way to reach the
server's own network (cloud metadata, admin panels, databases).
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from models.formatting import one_line
from models.settings import Settings, get_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
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

MAX_EXTERNAL_ID_LENGTH = 128  # Listing.external_id
_PRODUCT_TYPES = frozenset(
    {"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts", "Car", "Vehicle"}
)
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
_CHALLENGE_SELECTOR = "#challenge-form, .cf-turnstile, .g-recaptcha, .h-captcha, iframe[src*=captcha]"
_CHALLENGE_TITLES = ("just a moment", "attention required", "are you a robot", "access denied", "robot check")
_SIGN_IN = re.compile(
    r"\b(sign[\s_-]?in|log[\s_-]?[io]n|anmeld\w*|connexion|se connecter|iniciar sesi[oó]n|accedi|inloggen|zaloguj\w*)\b",
    re.I,
)
_NAME_PROPERTY = re.compile(r"(^|\s)name(\s|$)")

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
        soup = BeautifulSoup(body, "lxml")
        sources = [facts for facts in (_from_json_ld(soup), _from_microdata(soup), _from_open_graph(soup)) if facts]
        if not sources:
            _raise_unreadable(soup, source_url)
        facts = _merge(sources)
        title = facts.title or _page_title(soup)
        url = _page_url(soup, facts, source_url)
        if not title or not url:
            missing = "a product name" if not title else "a URL (pass the page's URL)"
            raise ScanError(ErrorClass.MARKUP_CHANGED, f"product data without {missing}")
        currency = _declared_currency(sources) or _implied_currency(sources, soup)
        price, original = _prices(sources, currency)
        if price is not None and currency is None:
            declared = ", ".join(repr(s.currency) for s in sources if s.currency) or "none"
            log.warning(
                "%s: no ISO 4217 currency for the price (declared: %s; no currency symbol in the price, no "
                "locale with a territory); recorded as %s",
                url,
                declared,
                self.default_currency,
            )
        extra = {key: value for key, value in (("sku", facts.sku), ("brand", facts.brand)) if value}
        return [
            ListingData(
                external_id=_external_id(url),
                title=one_line(title),
                url=url,
                price=price,
                currency=currency or self.default_currency,
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
    """Refuse anything but http(s), and hosts that resolve to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"only http(s) URLs can be watched, not {url[:100]!r}")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        addresses = {str(info[4][0]) for info in found}  # IPv4 and IPv6 addresses are text
    except ValueError:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"not a valid port in {url[:100]!r}") from None
    except OSError as error:
        raise ScanError(ErrorClass.CONNECTION, f"cannot resolve {parts.hostname}: {error}") from None
    for address in addresses:
        if not _is_public(address):
            raise ScanError(
                ErrorClass.NOT_ALLOWED,
                f"{parts.hostname} resolves to {address}, a private or reserved address "
                "(set JSONLD_ALLOW_PRIVATE_ADDRESSES=true to watch shops on your own network)",
            )


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


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


# -- JSON-LD ---------------------------------------------------------------------------------------


def _from_json_ld(soup: BeautifulSoup) -> _Facts | None:
    products = [node for node in _json_ld_nodes(soup) if _types(node) & _PRODUCT_TYPES]
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


def _json_ld_nodes(soup: BeautifulSoup) -> Iterator[Mapping[str, Any]]:
    for script in soup.find_all("script", type=re.compile(r"^\s*application/ld\+json", re.I)):
        text = re.sub(r"^\s*(<!--|//\s*<!\[CDATA\[)|(-->|//\s*\]\]>)\s*$", "", script.get_text())
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


def _from_microdata(soup: BeautifulSoup) -> _Facts | None:
    """The first microdata Product; failing that, the first Offer. Shops often mark the product
    with an `itemtype` but no `itemscope`, or only its name with an `itemprop`, which leaves the
    Offer the only item on the page: the product is then the element that carries the Product
    type, else the Offer itself, and its name the closest loose `itemprop="name"`."""
    scope = soup.find(itemscope=True, itemtype=_MICRODATA_PRODUCT)
    if scope is None:
        offer = soup.find(itemscope=True, itemtype=_MICRODATA_OFFER)
        if offer is None:
            return None
        scope = offer.find_parent(itemtype=_MICRODATA_PRODUCT) or offer
    props: dict[str, str] = {}
    for element in scope.find_all(itemprop=True):
        if element.has_attr("itemscope") or not _belongs_to(element, scope):
            continue
        for name in str(element["itemprop"]).split():
            props.setdefault(name, _microdata_value(element))
    return _Facts(
        title=props.get("name") or _loose_name(scope),
        price=props.get("price") or props.get("lowPrice"),
        currency=props.get("priceCurrency"),
        availability=props.get("availability"),
        image=props.get("image"),
        url=props.get("url"),
        sku=props.get("sku"),
        condition=props.get("itemCondition"),
    )


def _belongs_to(element: Tag, product: Tag) -> bool:
    """A property of the product itself or of one of its offers, not of a review or a brand."""
    owner = _owner(element, product)
    if owner is product:
        return True
    return bool(
        owner is not None
        and _MICRODATA_OFFER.search(str(owner.get("itemtype", "")))
        and _owner(owner, product) is product
    )


def _owner(element: Tag, product: Tag) -> Tag | None:
    """The item an element's property belongs to: its closest item, or the product when that comes
    first (a product can lack its `itemscope`)."""
    return element.find_parent(lambda tag: tag is product or tag.has_attr("itemscope"))


def _loose_name(scope: Tag) -> str | None:
    """The closest `itemprop="name"` around `scope` that belongs to no item inside the area
    searched (a review's author, a brand, another product): the name of a product that lost its
    `itemscope`."""
    for area in scope.parents:
        for element in area.find_all(itemprop=_NAME_PROPERTY):
            owner = element if element.has_attr("itemscope") else element.find_parent(attrs={"itemscope": True})
            if owner is None or owner is area or any(parent is owner for parent in area.parents):
                return _microdata_value(element) or None
    return None


def _microdata_value(element: Tag) -> str:
    """A property's value as the microdata spec reads it: from an attribute for some elements."""
    attribute = _MICRODATA_VALUE_ATTRIBUTES.get(element.name)
    value = element.get(attribute) if attribute else element.get("content")
    return one_line(str(value if value is not None else element.get_text(" ", strip=True)))


def _from_open_graph(soup: BeautifulSoup) -> _Facts | None:
    meta = {
        str(tag.get("property") or tag.get("name")).lower(): str(tag["content"]).strip()
        for tag in soup.find_all("meta", content=True)
        if tag.get("property") or tag.get("name")
    }
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


def _declared_currency(sources: list[_Facts]) -> str | None:
    """The first currency the structured data declares that ISO 4217 has ("ABC" is skipped)."""
    return next((code for code in (iso_currency(s.currency) for s in sources) if code), None)


def _implied_currency(sources: list[_Facts], soup: BeautifulSoup) -> str | None:
    """The currency a price's own symbol states ("24,99 zł"), else the one of the page's locale
    (og:locale, `<html lang>`) when it names a territory; None when neither tells."""
    locales = [str(tag["content"]) for tag in soup.find_all("meta", property="og:locale", content=True)]
    locales += [str(tag["lang"]) for tag in soup.find_all("html", lang=True)]
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


def _page_url(soup: BeautifulSoup, facts: _Facts, source_url: str | None) -> str | None:
    """The page's canonical URL, without tracking parameters; a canonical link to the shop's
    home page (a common misconfiguration) is ignored."""
    link = soup.find("link", rel="canonical", href=True)
    for candidate in (link["href"] if link else None, facts.url, source_url):
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


def _page_title(soup: BeautifulSoup) -> str | None:
    """The product's name when no structured data gives one: og:title, the main heading, or the
    window title (last: shops append their own name to it)."""
    og_title = soup.find("meta", property="og:title", content=True)
    heading = soup.find("h1")
    candidates = (
        str(og_title["content"]) if og_title else None,
        heading.get_text(" ", strip=True) if heading else None,
        soup.title.get_text(" ", strip=True) if soup.title else None,
    )
    return next((text for text in candidates if text and text.strip()), None)


def _is_sign_in_page(soup: BeautifulSoup, source_url: str | None) -> bool:
    """A page that is there to sign in: it has a password field, and its title, main heading or
    address says so. A password field alone proves nothing: many shops have a login box in their
    header on every page."""
    if soup.select_one("input[type=password]") is None:
        return False
    heading = soup.find("h1")
    said = (
        soup.title.get_text(" ", strip=True) if soup.title else "",
        heading.get_text(" ", strip=True) if heading else "",
        urlsplit(source_url).path if source_url else "",
    )
    return any(_SIGN_IN.search(text) for text in said)


def _raise_unreadable(soup: BeautifulSoup, source_url: str | None) -> None:
    """Why a page without product data has none; only called then, so a page with a price is never
    taken for a login wall."""
    title = soup.title.get_text(" ", strip=True).lower() if soup.title else ""
    if soup.select_one(_CHALLENGE_SELECTOR) or any(marker in title for marker in _CHALLENGE_TITLES):
        raise ScanError(ErrorClass.CAPTCHA, f"the shop answered with a bot check ({title or 'challenge form'})")
    if _is_sign_in_page(soup, source_url):
        raise ScanError(ErrorClass.LOGIN_WALL, "the page asks to sign in instead of showing the product")
    raise ScanError(ErrorClass.MARKUP_CHANGED, "no schema.org Product, microdata or OpenGraph product data on the page")
