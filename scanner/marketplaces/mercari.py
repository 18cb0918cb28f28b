"""Mercari Japan through the JSON API its web app uses (`v2/entities:search`).

The API wants a DPoP proof on every request: a short JWT signed (ES256) with a key pair the
client made up, whose public half travels in the JWT header. Any key works, so one is made per
process. Prices are whole yen.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from models.formatting import one_line
from models.tables import Condition, ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    ListingStatusName,
    MarketplaceAdapter,
    SearchQuery,
)

SEARCH_URL = "https://api.mercari.jp/v2/entities:search"
PAGE_SIZE = 120  # what the web app asks for

_STATUSES: Mapping[str, ListingStatusName] = {
    "ITEM_STATUS_ON_SALE": "active",
    "ITEM_STATUS_SOLD_OUT": "sold",
}
# Mercari's own condition scale (新品、未使用 … 全体的に状態が悪い), in English.
CONDITIONS = {
    "1": "New, unused",
    "2": "Like new",
    "3": "No noticeable scratches or stains",
    "4": "Some scratches or stains",
    "5": "Scratches or stains",
    "6": "Poor overall condition",
}
CONDITION_FILTER: Mapping[str, list[int]] = {
    Condition.NEW: [1],
    Condition.USED: [2, 3, 4, 5, 6],
    Condition.FOR_PARTS: [6],
}
SHIPPING_PAID_BY_SELLER = "2"  # 送料込み: the price includes shipping


class MercariAdapter(MarketplaceAdapter):
    name = "mercari"
    default_currency = "JPY"

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        session_id = uuid.uuid4().hex
        listings: list[ListingData] = []
        page_token = ""
        for _ in range(query.max_pages):
            response = client.post(
                SEARCH_URL,
                json_body=search_body(query, page_token=page_token, session_id=session_id),
                headers={"X-Platform": "web", "DPoP": dpop_proof(SEARCH_URL, "POST"), "Accept": "application/json"},
            )
            data = _search_response(response.text)
            listings.extend(_listings(data))
            page_token = str((data.get("meta") or {}).get("nextPageToken") or "")
            if not page_token:
                break
        return listings

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        return _listings(_search_response(body))


def search_body(query: SearchQuery, *, page_token: str, session_id: str) -> dict[str, Any]:
    """The request body of the web app's search, newest listings for sale first.

    Price bounds apply only to a search in yen: Mercari knows no other currency.
    """
    in_yen = query.currency == "JPY"
    return {
        "userId": "",
        "pageSize": PAGE_SIZE,
        "pageToken": page_token,
        "searchSessionId": session_id,
        "indexRouting": "INDEX_ROUTING_UNSPECIFIED",
        "thumbnailTypes": [],
        "searchCondition": {
            "keyword": query.query,
            "excludeKeyword": " ".join(query.excluded_words),
            "sort": "SORT_CREATED_TIME",
            "order": "ORDER_DESC",
            "status": ["STATUS_ON_SALE"],
            "priceMin": int(query.min_price) if in_yen and query.min_price is not None else 0,
            "priceMax": int(query.max_price) if in_yen and query.max_price is not None else 0,
            "itemConditionId": list(CONDITION_FILTER.get(query.condition or "", [])),
            "sizeId": [],
            "categoryId": [],
            "brandId": [],
            "sellerId": [],
            "shippingPayerId": [],
            "shippingFromArea": [],
            "shippingMethod": [],
            "colorId": [],
            "hasCoupon": False,
            "attributes": [],
            "itemTypes": [],
            "skuIds": [],
        },
        "defaultDatasets": [],
        "serviceFrom": "suruga",
    }


def _search_response(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "Mercari answered with something that is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not isinstance(data.get("meta"), dict):
        raise ScanError(ErrorClass.MARKUP_CHANGED, "not a Mercari search response (no items and meta)")
    return data


def _listings(data: Mapping[str, Any]) -> list[ListingData]:
    try:
        return [_listing(item) for item in data["items"]]
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as error:
        raise ScanError(
            ErrorClass.MARKUP_CHANGED, f"unexpected Mercari item ({type(error).__name__}: {error})"
        ) from None


def _listing(item: Mapping[str, Any]) -> ListingData:
    item_id = str(item["id"])
    shop = item.get("itemType") == "ITEM_TYPE_BEYOND"  # a Mercari Shops product
    thumbnails = item.get("thumbnails") or []
    return ListingData(
        external_id=item_id,
        title=one_line(str(item["name"])),
        url=f"https://jp.mercari.com/shops/product/{item_id}" if shop else f"https://jp.mercari.com/item/{item_id}",
        # isNoPrice items carry a placeholder price (9,999,999 yen) that no one can pay.
        price=None if item.get("isNoPrice") else Decimal(str(item["price"])),
        currency="JPY",
        image_url=thumbnails[0] if thumbnails else None,
        condition=CONDITIONS.get(str(item.get("itemConditionId"))),
        shipping=Decimal(0) if str(item.get("shippingPayerId")) == SHIPPING_PAID_BY_SELLER else None,
        seller=item.get("shopName") or (str(item["sellerId"]) if item.get("sellerId") else None),
        status=_STATUSES.get(str(item.get("status")), "pending"),  # trading, stopped: not buyable now
        extra=_extra(item),
    )


def _extra(item: Mapping[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"item_type": item.get("itemType")}
    if item.get("created"):
        extra["created_at"] = datetime.fromtimestamp(int(item["created"]), UTC).isoformat()
    if item.get("categoryId"):
        extra["category_id"] = str(item["categoryId"])
    return extra


# -- DPoP ------------------------------------------------------------------------------------------


@cache
def _signing_key() -> ec.EllipticCurvePrivateKey:
    """One P-256 key per process: Mercari only checks that each proof is signed by the key it names."""
    return ec.generate_private_key(ec.SECP256R1())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def dpop_proof(url: str, method: str) -> str:
    """A DPoP JWT (RFC 9449) for one request, signed with the process key (ES256)."""
    key = _signing_key()
    numbers = key.public_key().public_numbers()
    header = {
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        },
    }
    payload = {
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "htu": url,
        "htm": method,
        "uuid": str(uuid.uuid4()),
    }
    signing_input = f"{_b64url_json(header)}.{_b64url_json(payload)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
