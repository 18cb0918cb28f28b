"""The shared readers every adapter uses for a price string and a listing link: their fast paths
(a plain `$1,299.99`, an absolute link) give exactly what the general path gives."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st
from price_parser import Price

from scanner.marketplaces.prices import PRICE_TEXT_MAX, Money, currency_code, parse_price, stated_currency
from scanner.marketplaces.urls import absolute_url, canonical_url


def price_parser_reading(text: str, default_currency: str) -> Money | None:
    """What price-parser alone makes of `text`, as `parse_price` reported it before its fast path."""
    price = Price.fromstring(text)
    return None if price.amount is None else Money(price.amount, currency_code(price.currency, text, default_currency))


def grouped(number: int) -> str:
    return f"{number:,}"


plain_amounts = st.builds(
    lambda symbol, space, whole, cents, pad: f"{pad}{symbol}{space}{whole}{cents}{pad}",
    st.sampled_from(["", "$"]),
    st.sampled_from(["", " "]),
    st.one_of(st.integers(0, 10**12 - 1).map(str), st.integers(1000, 10**12 - 1).map(grouped)),
    st.one_of(st.just(""), st.integers(0, 99).map(lambda cents: f".{cents:02d}")),
    st.sampled_from(["", " ", "\n  "]),
)


@given(plain_amounts, st.sampled_from(["USD", "CAD", "EUR", "JPY"]))
def test_a_plain_amount_reads_as_price_parser_reads_it(text: str, default_currency: str) -> None:
    assert parse_price(text, default_currency=default_currency) == price_parser_reading(text, default_currency)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("$1,299.99", "1299.99", "CAD"),  # a bare dollar is the site's own
        ("1,234", "1234", "CAD"),
        ("0.50", "0.50", "CAD"),
        ("C $1,200", "1200", "CAD"),  # the prefix still names the dollar
        ("US $45.00", "45.00", "USD"),
        ("EUR 1.049,00", "1049.00", "EUR"),  # not plain: price-parser's reading
        ("€ 12", "12", "EUR"),
    ],
)
def test_prices_as_sites_write_them(text: str, amount: str, currency: str) -> None:
    assert parse_price(text, default_currency="CAD") == Money(Decimal(amount), currency)


links = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["shop.example", "Shop.Example:8443", "127.0.0.1:8765"]),
    st.sampled_from(["", "/", "/item/42", "/a//b/", "/a/../b", "/x;p=1"]),
    st.sampled_from(["", "?", "?id=3", "?utm_source=x&id=3", "?ref=srp&pos=2#photos", "#top"]),
)


@given(links, st.sampled_from([None, frozenset(), frozenset({"id"})]))
def test_an_absolute_link_is_canonical_as_if_joined_to_the_page(link: str, keep: frozenset[str] | None) -> None:
    base = "https://www.shop.example/search?q=lamp"
    assert canonical_url(link, base=base, keep=keep) == canonical_url(urljoin(base, link), keep=keep)


@given(
    st.sampled_from(["/item/42", "/a//b", "/a/../b", "/./x", "//cdn.example/i.jpg", "item/7", "?p=2", "", "/x?y#z"]),
    st.sampled_from(["https://www.shop.example/search?q=lamp", "http://127.0.0.1:8765/a/b/", "https://s.example"]),
)
def test_a_relative_link_resolves_as_urljoin_resolves_it(link: str, base: str) -> None:
    assert absolute_url(link, base) == urljoin(base, link)


def test_a_relative_link_is_joined_to_the_page_and_loses_its_tracking() -> None:
    assert (
        canonical_url("/item//42?utm_source=mail&id=3#photos", base="https://Shop.Example/search")
        == "https://shop.example/item/42?id=3"
    )


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("-500.00", "-500.00", "CAD"),  # was read as +500 and stored
        ("-$500", "-500", "CAD"),
        ("$-500", "-500", "CAD"),
        ("US $-5.00", "-5.00", "USD"),
        ("EUR −5", "-5", "EUR"),  # U+2212, the minus sign
        ("5-10", "5", "CAD"),  # a range: its low end
        ("$5 - $10", "5", "CAD"),
        ("Sale - $500", "500", "CAD"),  # a dash after words is no sign
        ("-0", "0", "CAD"),
    ],
)
def test_a_minus_before_the_amount_is_kept_for_the_scan_to_refuse(text: str, amount: str, currency: str) -> None:
    assert parse_price(text, default_currency="CAD") == Money(Decimal(amount), currency)


def test_only_the_start_of_a_price_string_is_read() -> None:
    """A card priced "$" and 100,000 digits took price-parser 147 s: now its first characters are
    read, still an amount no column holds, and the scan refuses the card."""
    assert parse_price("$" + "9" * 100_000, default_currency="USD") == Money(Decimal("9" * (PRICE_TEXT_MAX - 1)), "USD")
    assert parse_price(" " * 100_000 + "$12.50", default_currency="USD") == Money(Decimal("12.50"), "USD")
    assert stated_currency("9" * 100_000 + " zł") is None
