"""One product page in any shop, watched through the structured data shops publish for search
engines: schema.org JSON-LD first, then microdata, then OpenGraph product tags.

The search's `query` is the page URL. Because a user can type any URL, only http(s) URLs whose
host resolves to public addresses are fetched: this adapter must not become a way to reach the
server's own network (cloud metadata, admin panels, databases).
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
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
from scanner.errors import ErrorClass, ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    ListingStatusName,
    MarketplaceAdapter,
    SearchQuery,
)
from scanner.marketplaces.prices import parse_price
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
            _raise_unreadable(soup)
        facts = _merge(sources)
        title = facts.title or (soup.title.get_text(" ", strip=True) if soup.title else None)
        url = _page_url(soup, facts, source_url)
        if not title or not url:
            missing = "a product name" if not title else "a URL (pass the page's URL)"
            raise ScanError(ErrorClass.MARKUP_CHANGED, f"product data without {missing}")
        price, currency = _amount(facts.price, facts.currency)
        original, _ = _amount(facts.original_price, currency)
        shipping, _ = _amount(facts.shipping, currency)
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
                shipping=shipping,
                seller=facts.seller,
                original_price=original if original != price else None,
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
    priced = [(amount, o) for o in candidates if (amount := _amount(_offer_prices(o)[0], None)[0]) is not None]
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
    scope = soup.find(itemscope=True, itemtype=_MICRODATA_PRODUCT)
    if scope is None:
        return None
    props: dict[str, str] = {}
    for element in scope.find_all(itemprop=True):
        if element.has_attr("itemscope") or not _belongs_to(element, scope):
            continue
        for name in str(element["itemprop"]).split():
            props.setdefault(name, _microdata_value(element))
    return _Facts(
        title=props.get("name"),
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
    owner = element.find_parent(attrs={"itemscope": True})
    if owner is product:
        return True
    return bool(
        owner is not None
        and _MICRODATA_OFFER.search(str(owner.get("itemtype", "")))
        and owner.find_parent(attrs={"itemscope": True}) is product
    )


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
        original_price=regular if sale else None,
        availability=meta.get("product:availability") or meta.get("og:availability"),
        image=meta.get("og:image"),
        url=meta.get("og:url"),
        sku=meta.get("product:retailer_item_id"),
        brand=meta.get("product:brand"),
        condition=meta.get("product:condition"),
    )


# -- normalizing ---------------------------------------------------------------------------------


def _amount(value: Any, currency: str | None) -> tuple[Decimal | None, str | None]:
    """A price as schema.org writes it ("1299.00", 1299, or a shop's "1.299,00 €") and its currency."""
    if value is None or isinstance(value, bool):
        return None, currency
    if isinstance(value, (int, float)):
        return Decimal(str(value)), currency
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        try:
            return Decimal(text), currency
        except InvalidOperation:
            return None, currency
    money = parse_price(text, default_currency=currency or "USD")
    if money is None:
        return None, currency
    return money.amount, currency or money.currency


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


def _raise_unreadable(soup: BeautifulSoup) -> None:
    title = soup.title.get_text(" ", strip=True).lower() if soup.title else ""
    if soup.select_one(_CHALLENGE_SELECTOR) or any(marker in title for marker in _CHALLENGE_TITLES):
        raise ScanError(ErrorClass.CAPTCHA, f"the shop answered with a bot check ({title or 'challenge form'})")
    if soup.select_one("input[type=password]"):
        raise ScanError(ErrorClass.LOGIN_WALL, "the page asks to sign in instead of showing the product")
    raise ScanError(ErrorClass.MARKUP_CHANGED, "no schema.org Product, microdata or OpenGraph product data on the page")
