"""The marketplace adapters, one module each, looked up by the name a search stores."""

from __future__ import annotations

import importlib

from models.tables import Marketplace
from scanner.marketplaces.base import MarketplaceAdapter

_ADAPTER_CLASSES = {
    Marketplace.DEMO: "scanner.marketplaces.demo:DemoAdapter",
    Marketplace.EBAY: "scanner.marketplaces.ebay:EbayAdapter",
    Marketplace.CRAIGSLIST: "scanner.marketplaces.craigslist:CraigslistAdapter",
    Marketplace.FACEBOOK: "scanner.marketplaces.facebook:FacebookAdapter",
    Marketplace.MERCARI: "scanner.marketplaces.mercari:MercariAdapter",
    Marketplace.JSONLD: "scanner.marketplaces.jsonld:JsonLdAdapter",
}


def get_adapter(name: str) -> MarketplaceAdapter:
    """A fresh adapter for a marketplace name; `ValueError` for a name we do not know."""
    try:
        target = _ADAPTER_CLASSES[Marketplace(name)]
    except ValueError:
        raise ValueError(f"unknown marketplace '{name}' (known: {', '.join(m.value for m in Marketplace)})") from None
    module_name, class_name = target.split(":")
    adapter_class: type[MarketplaceAdapter] = getattr(importlib.import_module(module_name), class_name)
    return adapter_class()
