"""The marketplace adapters, one module each, looked up by the name a search stores."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from models.tables import Marketplace
from scanner.marketplaces.base import MarketplaceAdapter, Quota

_ADAPTER_CLASSES = {
    Marketplace.DEMO: "scanner.marketplaces.demo:DemoAdapter",
    Marketplace.EBAY: "scanner.marketplaces.ebay:EbayAdapter",
    Marketplace.CRAIGSLIST: "scanner.marketplaces.craigslist:CraigslistAdapter",
    Marketplace.FACEBOOK: "scanner.marketplaces.facebook:FacebookAdapter",
    Marketplace.MERCARI: "scanner.marketplaces.mercari:MercariAdapter",
    Marketplace.JSONLD: "scanner.marketplaces.jsonld:JsonLdAdapter",
    Marketplace.KIJIJI: "scanner.marketplaces.kijiji:KijijiAdapter",
    Marketplace.MARKTPLAATS: "scanner.marketplaces.marktplaats:MarktplaatsAdapter",
}
#: Marketplaces whose API is metered per day: their adapters take the caller's `quota`.
_METERED = frozenset({Marketplace.EBAY})


def get_adapter(name: str, *, quota: Quota | None = None) -> MarketplaceAdapter:
    """A fresh adapter for a marketplace name; `ValueError` for a name we do not know.

    `quota` counts a metered API's calls; without one an adapter can still parse saved pages."""
    try:
        marketplace = Marketplace(name)
    except ValueError:
        raise ValueError(f"unknown marketplace '{name}' (known: {', '.join(m.value for m in Marketplace)})") from None
    module_name, class_name = _ADAPTER_CLASSES[marketplace].split(":")
    adapter_class: Callable[..., MarketplaceAdapter] = getattr(importlib.import_module(module_name), class_name)
    return adapter_class(quota=quota) if marketplace in _METERED else adapter_class()
