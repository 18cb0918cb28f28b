"""The Mercari Japan adapter: the `entities:search` request with its DPoP proof, paging by
token, and the mapping of the response's items."""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.mercari import SEARCH_URL, MercariAdapter, dpop_proof
from tests.marketplaces.fake_http import FakeClient, in_turn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mercari"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse(name: str) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in MercariAdapter().parse(fixture(name))}


def recording(*bodies: str) -> FakeClient:
    return FakeClient(in_turn(list(bodies)))


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_the_registry_builds_the_adapter_with_the_configured_settings() -> None:
    assert isinstance(get_adapter("mercari"), MercariAdapter)


def test_items_map_to_listings_in_yen_with_their_canonical_url() -> None:
    listing = parse("search_page1.json")["m48213957602"]
    assert listing.title == "ニンテンドースイッチ 有機ELモデル ホワイト 美品 & 箱付き"
    assert (listing.price, listing.currency) == (Decimal("29800"), "JPY")
    assert listing.url == "https://jp.mercari.com/item/m48213957602"
    assert listing.image_url == "https://static.mercdn.net/c!/w=240,f=webp/thumb/photos/m48213957602_1.jpg?1767690123"
    assert (listing.condition, listing.seller) == ("Like new", "582014736")
    assert listing.extra["created_at"] == "2026-01-06T09:02:03+00:00"


@pytest.mark.parametrize(
    ("page", "item_id", "status"),
    [
        ("search_page1.json", "m48213957602", "active"),  # ITEM_STATUS_ON_SALE
        ("search_page1.json", "m71029384756", "pending"),  # ITEM_STATUS_TRADING
        ("search_page2.json", "m33445566778", "sold"),  # ITEM_STATUS_SOLD_OUT
    ],
)
def test_item_status_becomes_the_listing_status(page: str, item_id: str, status: str) -> None:
    assert parse(page)[item_id].status == status


def test_seller_paid_shipping_is_free_and_buyer_paid_is_unknown() -> None:
    page = parse("search_page1.json")
    assert page["m48213957602"].shipping == Decimal(0)  # shippingPayerId 2: 送料込み
    assert page["m71029384756"].shipping is None  # shippingPayerId 1: 着払い


def test_mercari_shops_product_links_to_the_shop_page_and_names_the_shop() -> None:
    listing = parse("search_page1.json")["2Q8sKcX4fVb7NhTz3Lm9Ra"]
    assert listing.url == "https://jp.mercari.com/shops/product/2Q8sKcX4fVb7NhTz3Lm9Ra"
    assert listing.seller == "ゲームショップ さくら"


def test_no_price_item_has_no_price_not_the_placeholder() -> None:
    listing = parse("search_page2.json")["m90817263544"]
    assert listing.price is None
    assert listing.image_url is None  # no thumbnails


def test_search_without_results_is_a_genuine_zero() -> None:
    assert parse("search_no_results.json") == {}


@pytest.mark.parametrize(
    "body",
    [
        fixture("search_unexpected_shape.json"),
        "<!DOCTYPE html><html><body><div id='__next'></div></body></html>",
        '{"meta": {}, "items": [{"name": "no id", "price": "100"}]}',
        '{"meta": {}, "items": [{"id": "m1", "name": "bad price", "price": "tbd"}]}',
        "",
    ],
)
def test_unreadable_response_is_markup_changed(body: str) -> None:
    with pytest.raises(ScanError) as raised:
        MercariAdapter().parse(body)
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


def test_search_posts_the_web_apps_request_newest_on_sale_first() -> None:
    client = recording(fixture("search_no_results.json"))
    query = SearchQuery(
        "switch 有機EL", min_price=Decimal("10000"), max_price=Decimal("35000"), condition="used", currency="JPY"
    )
    MercariAdapter().search(query, client)
    sent = client.calls[0]
    assert sent.url == SEARCH_URL
    assert sent.headers["X-Platform"] == "web"
    condition = sent.json["searchCondition"]
    assert (condition["keyword"], condition["sort"], condition["order"]) == (
        "switch 有機EL",
        "SORT_CREATED_TIME",
        "ORDER_DESC",
    )
    assert condition["status"] == ["STATUS_ON_SALE"]
    assert (condition["priceMin"], condition["priceMax"]) == (10000, 35000)
    assert condition["itemConditionId"] == [2, 3, 4, 5, 6]
    assert sent.json["pageSize"] == 120
    assert sent.json["pageToken"] == ""


def test_price_bounds_in_another_currency_are_not_sent_as_yen() -> None:
    client = recording(fixture("search_no_results.json"))
    MercariAdapter().search(SearchQuery("switch", min_price=Decimal("100"), max_price=Decimal("250")), client)
    condition = client.calls[0].json["searchCondition"]
    assert (condition["priceMin"], condition["priceMax"]) == (0, 0)


def test_the_searchs_excluded_words_are_excluded_by_mercari_itself() -> None:
    client = recording(fixture("search_no_results.json"))
    MercariAdapter().search(SearchQuery("switch", excluded_words=("ジャンク", "case")), client)
    assert client.calls[0].json["searchCondition"]["excludeKeyword"] == "ジャンク case"


def test_search_follows_the_next_page_token_within_one_session() -> None:
    client = recording(fixture("search_page1.json"), fixture("search_page2.json"))
    listings = MercariAdapter().search(SearchQuery("switch", max_pages=5), client)
    assert [call.json["pageToken"] for call in client.calls] == ["", "v1:1"]
    assert client.calls[0].json["searchSessionId"] == client.calls[1].json["searchSessionId"]
    assert len(listings) == 5


def test_search_stops_at_max_pages() -> None:
    client = recording(fixture("search_page1.json"), fixture("search_page2.json"))
    listings = MercariAdapter().search(SearchQuery("switch", max_pages=1), client)
    assert len(client.calls) == 1
    assert len(listings) == 3


def test_every_request_carries_a_fresh_dpop_proof() -> None:
    client = recording(fixture("search_page1.json"), fixture("search_page2.json"))
    MercariAdapter().search(SearchQuery("switch"), client)
    proofs = [call.headers["DPoP"] for call in client.calls]
    assert len(set(proofs)) == 2


def test_dpop_proof_is_an_es256_jwt_signed_by_the_key_in_its_header() -> None:
    token = dpop_proof(SEARCH_URL, "POST")
    header_part, payload_part, signature_part = token.split(".")
    header, payload = json.loads(b64decode(header_part)), json.loads(b64decode(payload_part))
    assert (header["typ"], header["alg"], header["jwk"]["kty"], header["jwk"]["crv"]) == (
        "dpop+jwt",
        "ES256",
        "EC",
        "P-256",
    )
    assert (payload["htu"], payload["htm"]) == (SEARCH_URL, "POST")
    assert abs(payload["iat"] - time.time()) < 5
    x, y = (int.from_bytes(b64decode(header["jwk"][axis]), "big") for axis in ("x", "y"))
    public_key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raw = b64decode(signature_part)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(signature, f"{header_part}.{payload_part}".encode(), ec.ECDSA(hashes.SHA256()))


def test_dpop_proofs_share_the_process_key_but_never_their_id() -> None:
    first, second = (json.loads(b64decode(dpop_proof(SEARCH_URL, "POST").split(".")[0])) for _ in range(2))
    payloads = [json.loads(b64decode(dpop_proof(SEARCH_URL, "POST").split(".")[1])) for _ in range(2)]
    assert first["jwk"] == second["jwk"]
    assert payloads[0]["jti"] != payloads[1]["jti"]
