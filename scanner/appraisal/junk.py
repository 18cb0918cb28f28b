"""Listings that say nothing about what a product costs, and must never be a deal.

A broken unit, a case *for* the product, a $1 placeholder, a "wanted" post, a lot of five, or a
different product the marketplace's search dragged in: each would drag a market price down and
top "best first". They are recognised from the title (English, German, French, Spanish and
Japanese wording), the condition and the price, before any market price is known; a token
auction bid, which needs the market to be seen for what it is, is judged in `verdict`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from models.tables import Condition, JunkKind
from scanner.appraisal.condition import condition_class
from scanner.appraisal.identity import atoms, core_title, normalize
from scanner.marketplaces.base import ListingData

#: Prices that are no asking price: "free" for a thing that is not, "$1" to get listed.
PLACEHOLDERS = frozenset({Decimal(0), Decimal("0.01"), Decimal(1)})
#: 9,999,999 and its kin: a price meaning "ask me".
_ALL_NINES = re.compile(r"^9{5,}(\.9+)?$")

_WANTED = re.compile(
    r"^\s*(?:wanted|wtb|iso|looking for|in search of|buying|suche|gesucht|ich suche|recherche|cherche|"
    r"je cherche|busco|compro)\b|\b(?:wanted|wtb|gesucht|recherch[ée]e?)\s*[:!-]?\s*$|\bwanted\s*:|"
    r"求む|買います|買取|探しています|募集",
    re.IGNORECASE,
)
_BUNDLE = re.compile(
    r"\b(?:lot of|lot de|job lot|bundle|konvolut|paket aus|set of|\d+\s*(?:x|pcs|pieces|units|stück|stk)\b|"
    r"x\s*\d+\b(?!\s*(?:mm|cm|in)))|まとめ売り|まとめ|\d+\s*点セット|\d+台",
    re.IGNORECASE,
)
#: Nouns that make a title an accessory or part wherever they stand (outside its extras).
_ACCESSORY_NOUNS = frozenset(
    """
    case cases cover covers hulle handyhulle schutzhulle etui coque funda protector protectors screenprotector
    panzerglas schutzglas schutzfolie folie tempered hartglas charger chargers ladegerat chargeur cargador
    cable cables kabel ladekabel cable adapter adapters adaptateur dongle battery batteries akku batterie
    bateria strap straps gurt armband mount halterung skin skins sticker stickers decal dock holder stylus
    digitizer housing backplate faceplate tray ejector earbuds headphones sleeve tasche bag bags pouch
    dummy attrappe replacement ersatz remplacement repuesto ersatzteil
    ケース カバー フィルム 保護フィルム 充電器 ケーブル バッテリー 互換 ストラップ
    """.split()
)
#: Nouns that are an accessory only when the title says what it is for ("screen for iPhone 13").
_PART_NOUNS = frozenset("screen display lcd glass lens film bag stand remote box manual parts part".split())
_FOR = re.compile(
    r"(?:^|\s)(?:for|fur|pour|para|per|fit|fits|compatible|kompatibel|passend|用|対応)(?:\s|$)|用$|対応$"
)
_FOR_SALE = re.compile(r"\bfor (?:sale|trade|parts)\b")
#: "100% battery", "battery health 95%", "neuer Akku": a phone's battery described, not sold.
_DESCRIBED_PART = re.compile(
    r"\d+\s*%\s*(?:battery|akku|batterie)|(?:battery|akku|batterie)\s*(?:health|life|capacity|zustand)?\s*:?\s*\d+\s*%|"
    r"(?:new|neue[rn]?|nouvelle)\s+(?:battery|akku|batterie)"
)


def _words(normalized_core: str) -> set[str]:
    return {"".join(parts) for parts in atoms(normalized_core)} | {
        part for parts in atoms(normalized_core) for part in parts
    }


def is_accessory(title: str, query_words: frozenset[str] = frozenset()) -> bool:
    """A part or accessory for a product, unless the search itself asks for that kind of thing."""
    core = _DESCRIBED_PART.sub(" ", core_title(normalize(title)))
    words = _words(core) - query_words
    if words & _ACCESSORY_NOUNS:
        return True
    return bool(words & _PART_NOUNS) and bool(_FOR.search(_FOR_SALE.sub(" ", core)))


def query_words(query: str | None) -> frozenset[str]:
    """The words of a search's query, normalized like titles."""
    return frozenset(_words(normalize(query))) if query else frozenset()


def is_placeholder(price: Decimal | None) -> bool:
    """No price, $0/$1, or a 9,999,999 "ask me" price."""
    return price is None or price in PLACEHOLDERS or bool(_ALL_NINES.match(format(price.normalize(), "f")))


def is_off_query(title: str, words_of_query: frozenset[str]) -> bool:
    """None of the query's words is in the title: the marketplace matched something else."""
    if not words_of_query:
        return False
    return not words_of_query & _words(normalize(title))


def classify(listing: ListingData, query: str | None = None) -> JunkKind | None:
    """The junk kind of a listing for a search with this query, or None for a real item.

    The first kind that applies wins, in the enum's order: a broken case-for-iPhone is for parts.
    """
    title = listing.title
    if condition_class(listing.condition, title) is Condition.FOR_PARTS:
        return JunkKind.FOR_PARTS
    words = query_words(query)
    if is_accessory(title, words):
        return JunkKind.ACCESSORY
    if is_placeholder(listing.price):
        return JunkKind.PLACEHOLDER_PRICE
    if _WANTED.search(title):
        return JunkKind.WANTED
    if _BUNDLE.search(normalize(title)):
        return JunkKind.BUNDLE
    if is_off_query(title, words):
        return JunkKind.OFF_QUERY
    return None
