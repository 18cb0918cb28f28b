"""Listings that say nothing about what a product costs, and must never be a deal.

A broken unit, a case *for* the product, a $1 placeholder, a "wanted" post, a lot of five, or a
different product the marketplace's search dragged in: each would drag a market price down and
top "best first". They are recognised from the title (English, German, French, Spanish and
Japanese wording), the condition and the price, before any market price is known; a token
auction bid, which needs the market to be seen for what it is, is judged in `verdict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from rapidfuzz import fuzz

from models.tables import Condition, JunkKind
from scanner.appraisal.condition import condition_class
from scanner.appraisal.identity import KIND_WORDS, atoms, core_title, normalize
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
    r"^\s*(?:(?:lot|paket|bundle|konvolut|set)\b|(?:[2-9]|two|three|four|five|six|pair of|zwei|drei|deux|trois)\s)|"
    r"\b(?:lot of|lot de|job lot|bundle|konvolut|paket aus|set of|case of \d+|"
    r"\d+\s*(?:x|pcs|pieces|units|stück|stk|bottles)\b)|まとめ売り|まとめ|\d+\s*点セット|\d+\s*枚セット|\d+台",
    re.IGNORECASE,
)
#: Nouns that make a title an accessory or part wherever they stand (outside its extras).
_ACCESSORY_NOUNS = frozenset(
    """
    case cases cover covers hulle handyhulle schutzhulle etui coque housse funda protector protectors screenprotector
    panzerglas schutzglas schutzfolie folie tempered hartglas charger chargers ladegerat netzteil chargeur cargador
    cable cables kabel ladekabel adapter adapters adaptateur dongle battery batteries akku batterie
    bateria strap straps gurt armband mount halterung skin skins sticker stickers decal dock stylus
    digitizer housing backplate faceplate tray ejector earbuds headphones sleeve tasche bag bags pouch
    dummy attrappe replacement ersatz remplacement repuesto ersatzteil cage controller remote unlock
    """.split()
)
#: The same in Japanese, where words are not separated: found inside the title.
_ACCESSORY_JAPANESE = re.compile(r"ケース|カバー|フィルム|充電器|ケーブル|バッテリー|互換|ストラップ|ピックガード")
#: Nouns that are an accessory only when the title says what it is for ("screen for iPhone 13").
_PART_NOUNS = frozenset("screen display lcd glass lens film stand box manual parts part holder arm".split())
_FOR = re.compile(r"(?:^|\s)(?:for|fur|pour|para|per|fit|fits|compatible|kompatibel|passend)(?:\s|$)")
#: "<one to three words> for <product>": what the title is *for* is not what it *is*.
_THING_FOR = re.compile(r"^(?:[^\d\s]+\s){1,3}(?:for|fur|pour|para|per|fit|fits)\s+\S")
#: "<product> 用 <thing>": Japanese for "<thing> for use with <product>".
_FOR_USE_WITH = re.compile(r"用|対応")
_FOR_SALE = re.compile(r"\bfor (?:sale|trade|parts|repair)\b")
#: "100% battery", "battery health 95%", "neuer Akku": a phone's battery described, not sold.
_DESCRIBED_PART = re.compile(
    r"\d+\s*%\s*(?:battery|akku|batterie)|(?:battery|akku|batterie)\s*(?:health|life|capacity|zustand)?\s*:?\s*\d+\s*%|"
    r"(?:new|neue[rn]?|nouvelle)\s+(?:battery|akku|batterie)"
)
#: Words before a kind of product that make it another kind: a toy guitar, a dash camera.
_OTHER_KIND_BEFORE = frozenset(
    "toy spielzeug jouet kids kid kinder enfant children dash dashcam security surveillance uberwachungs "
    "disposable einweg jetable trail web doorbell".split()
)
#: Products named after the kind they go with: a guitar amplifier is no guitar.
_OTHER_KIND_AFTER = frozenset(
    "amplifier amp controller pedal pedals stand toy desk table lens bag backpack tripod gimbal simulator game "
    "games book poster shirt replacement verstarker ampli tisch stativ objektiv objectif jeu spiel".split()
)
#: How alike a title's word must be to a query word to count as it ("shrapnel" for "sharpnel").
QUERY_WORD_SIMILARITY = 85


@lru_cache(maxsize=65536)
def _words(normalized: str) -> frozenset[str]:
    """Each word, and each of its atoms ("iphone13" → iphone13, iphone, 13)."""
    split = atoms(normalized)
    return frozenset({"".join(parts) for parts in split} | {part for parts in split for part in parts})


def is_accessory(title: str) -> bool:
    """A part or accessory for a product rather than the product."""
    core = _DESCRIBED_PART.sub(" ", core_title(normalize(title)))
    words = _words(core)
    if words & _ACCESSORY_NOUNS or _ACCESSORY_JAPANESE.search(core) or _FOR_USE_WITH.search(core):
        return True
    about = _FOR_SALE.sub(" ", core)
    return bool(_THING_FOR.match(about)) or (bool(words & _PART_NOUNS) and bool(_FOR.search(about)))


@lru_cache(maxsize=4096)
def query_words(query: str | None) -> frozenset[str]:
    """The words of a search's query, normalized like titles."""
    return _words(normalize(query)) if query else frozenset()


def is_placeholder(price: Decimal | None) -> bool:
    """No price, $0/$1, or a 9,999,999 "ask me" price."""
    return price is None or price in PLACEHOLDERS or bool(_ALL_NINES.match(format(price.normalize(), "f")))


def _mentions(word: str, words: frozenset[str]) -> bool:
    """The word, a misspelling of it or a word that starts with it ("sharpnelsound")."""
    return word in words or any(
        len(seen) >= 4 and (seen.startswith(word) or fuzz.ratio(word, seen) >= QUERY_WORD_SIMILARITY) for seen in words
    )


def _kind_is_modifier(core_words: list[str], kind: str) -> bool:
    """ "guitar amplifier", "toy guitar": the kind names what another product is for or like."""
    for position, word in enumerate(core_words):
        if word != kind:
            continue
        before = core_words[position - 1] if position else None
        after = core_words[position + 1] if position + 1 < len(core_words) else None
        if before in _OTHER_KIND_BEFORE:
            return True
        if after in _OTHER_KIND_AFTER:
            return True
    return False


@lru_cache(maxsize=65536)
def is_off_query(title: str, words_of_query: frozenset[str]) -> bool:
    """The product is not what the search asked for: no word of the query names it (the site
    matched a description, a typo or a related item), or the query's kind of product only
    describes it ("guitar amplifier", "dash camera")."""
    if not words_of_query:
        return False
    core = core_title(normalize(title))
    if not any(_mentions(word, _words(core)) for word in words_of_query):
        return True
    segment = core.split(" - ")[0].split(" – ")[0]
    core_words = ["".join(parts) for parts in atoms(segment)]
    return any(_kind_is_modifier(core_words, word) for word in words_of_query if word in KIND_WORDS)


@dataclass(frozen=True)
class Junk:
    """A listing's junk kind whatever the search (stored with it, so a case for an iPhone is never
    a comparable of an iPhone), and for one search's query."""

    listing: JunkKind | None
    for_search: JunkKind | None


@dataclass(frozen=True)
class _TitleSays:
    accessory: bool
    wanted: bool
    bundle: bool


@lru_cache(maxsize=65536)
def _title_says(title: str) -> _TitleSays:
    """What the title alone says; cached, as a worker sees the same titles scan after scan."""
    return _TitleSays(is_accessory(title), bool(_WANTED.search(title)), bool(_BUNDLE.search(normalize(title))))


def classify(listing: ListingData, query: str | None) -> Junk:
    """The first junk kind that applies, in the enum's order (a broken case-for-iPhone is for
    parts), whatever the search and for a search with this query.

    For a search, accessories are junk only when its query names a product and asks for no
    accessory (a search without words, a category feed, wants whatever is in it), and so is
    whatever the query did not ask for.
    """
    title = listing.title
    if condition_class(listing.condition, title) is Condition.FOR_PARTS:
        return Junk(JunkKind.FOR_PARTS, JunkKind.FOR_PARTS)
    says = _title_says(title)
    rest = (
        JunkKind.PLACEHOLDER_PRICE
        if is_placeholder(listing.price)
        else JunkKind.WANTED
        if says.wanted
        else JunkKind.BUNDLE
        if says.bundle
        else None
    )
    intrinsic = JunkKind.ACCESSORY if says.accessory else rest
    words = query_words(query)
    if says.accessory and words and not words & (_ACCESSORY_NOUNS | _PART_NOUNS):
        return Junk(intrinsic, JunkKind.ACCESSORY)
    if rest is not None:
        return Junk(intrinsic, rest)
    return Junk(intrinsic, JunkKind.OFF_QUERY if is_off_query(title, words) else None)
