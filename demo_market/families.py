"""What the demo market sells: product families with a market price, and the words sellers use.

Plain data, kept apart from the rules in `catalogue` so adding a family is a one-line change.
Titles carry non-ASCII text and characters that must be escaped in HTML (`&`, quotes), because
real marketplaces do and parsers have to cope. Beside the families' own items sellers post junk
— accessories for a product, broken units, wanted posts, lots — in English, German, French and
Japanese wording, so the junk filter is tested on what it meets in real searches. A title
ending (`extras`) never changes the product: a memory upgrade or an extra lens would be another
product at another price, and the demo's truth is that extras are the same product.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Family:
    """A product most listings of which sell near `market_price` (USD)."""

    name: str  # contains the category word, so a search for it finds the family
    market_price: Decimal
    model: str  # the product's short name, part of `name`: "Canon EOS R6" ("Battery for Canon EOS R6")


@dataclass(frozen=True)
class Category:
    word: str  # "guitar": what a search types
    code: str  # first letter of listing ids: G123
    arrival_offset_seconds: int  # so the categories do not all list at the same second
    families: tuple[Family, ...]
    extras: tuple[str, ...]  # title endings only this kind of item has
    accessories: tuple[str, ...]  # titles of parts and accessories for "{product}", in four languages
    off_query: tuple[Family, ...]  # other products a search for `word` finds: its title has the word


def _family(name: str, price: int, model: str | None = None) -> Family:
    return Family(name, Decimal(price), model or name)


CATEGORIES: tuple[Category, ...] = (
    Category(
        word="guitar",
        code="G",
        arrival_offset_seconds=0,
        families=(
            _family("Fender Player Stratocaster electric guitar", 650, "Fender Player Stratocaster"),
            _family("Gibson Les Paul Standard '50s guitar", 2300, "Gibson Les Paul Standard '50s"),
            _family("Yamaha FG800 acoustic guitar", 190, "Yamaha FG800"),
            _family("Martin D-28 acoustic guitar", 2600, "Martin D-28"),
            _family("Ibanez RG421 electric guitar", 330, "Ibanez RG421"),
            _family('Epiphone "Les Paul Special" guitar', 170, 'Epiphone "Les Paul Special"'),
            _family("Taylor 214ce acoustic-electric guitar", 1000, "Taylor 214ce"),
        ),
        extras=(" w/ hard case & strap", " + gig bag", " – made in Japan 日本製", " – Sunburst"),
        accessories=(
            "Hard case for {product}",
            "Gig bag for {product}",
            "Replacement pickguard for {product}",
            "Tremolo arm for {product}",
            "Koffer für {product}",
            "Gurt für {product}",
            "Étui rigide pour {product}",
            "Housse pour {product}",
            "{product} 用 ハードケース",
            "{product} 用 ピックガード",
        ),
        off_query=(
            _family("Boss Katana-50 MkII guitar amplifier", 200),
            _family("Guitar Hero Live guitar controller (PS4)", 35),
            _family("Kids' toy guitar, 6 strings", 20),
        ),
    ),
    Category(
        word="camera",
        code="C",
        arrival_offset_seconds=80,
        families=(
            _family("Canon EOS R6 mirrorless camera body", 1500, "Canon EOS R6"),
            _family("Sony α7 III camera (ILCE-7M3)", 1300, "Sony α7 III"),
            _family("Nikon D750 DSLR camera", 650, "Nikon D750"),
            _family("Fujifilm X100V camera", 1400, "Fujifilm X100V"),
            _family("Olympus OM-D E-M10 Mark III camera", 380, "Olympus OM-D E-M10 Mark III"),
            _family("Leica M6 film camera", 4200, "Leica M6"),
            _family("GoPro HERO11 action camera", 250, "GoPro HERO11"),
        ),
        extras=(" – low shutter count", " body only", " w/ 2 batteries & charger", " – カメラ 日本語メニュー"),
        accessories=(
            "Battery for {product}",
            "Charger for {product}",
            "Screen protector for {product}",
            "Camera cage for {product}",
            "Akku für {product}",
            "Ladegerät für {product}",
            "Étui pour {product}",
            "Batterie pour {product}",
            "{product} 用 保護フィルム",
            "{product} 用 バッテリー",
        ),
        off_query=(
            _family("Ring Stick Up security camera", 60),
            _family("Vantrue N2 Pro dash camera", 120),
            _family("Kodak FunSaver disposable camera", 15),
        ),
    ),
    Category(
        word="laptop",
        code="L",
        arrival_offset_seconds=160,
        families=(
            _family('Apple MacBook Air M2 13" laptop', 850, "MacBook Air M2"),
            _family("Lenovo ThinkPad X1 Carbon Gen 9 laptop", 700, "ThinkPad X1 Carbon Gen 9"),
            _family("Dell XPS 13 9310 laptop", 600, "Dell XPS 13 9310"),
            _family("Framework Laptop 13", 800),
            _family("ASUS ROG Zephyrus G14 gaming laptop", 1100, "ASUS ROG Zephyrus G14"),
            _family("HP Spectre x360 laptop", 750, "HP Spectre x360"),
            _family("Microsoft Surface Laptop 5", 650, "Surface Laptop 5"),
        ),
        extras=(" – US keyboard", " w/ charger & sleeve", " – clavier AZERTY français", " – Tastatur QWERTZ"),
        accessories=(
            "Charger for {product}",
            "Replacement battery for {product}",
            "Keyboard cover for {product}",
            "Laptop sleeve for {product}",
            "Netzteil für {product}",
            "Tastaturabdeckung für {product}",
            "Chargeur pour {product}",
            "Housse pour {product}",
            "{product} 用 充電器",
            "{product} 用 キーボードカバー",
        ),
        off_query=(
            _family("VTech Tote & Go kids' laptop toy", 20),
            _family("Foldable laptop bed desk", 30),
            _family("iPad Pro 11 with Magic Keyboard – laptop replacement", 700),
        ),
    ),
)

#: Title endings any item may have ("" is the most common: no ending at all).
COMMON_EXTRAS: tuple[str, ...] = (
    "",
    "",
    "",
    " – excellent condition",
    " (barely used)",
    " – très bon état",
    " – wie neu, von Müller",
    ' – "mint"',
    " – owner's pick",
    " – price negotiable",
)

LOCATIONS: tuple[str, ...] = (
    "Portland, OR",
    "Austin, TX",
    "Brooklyn, NY",
    "San José, CA",
    "Denver, CO",
    "Chicago, IL",
    "Honolulu, HI",
    "Coeur d'Alene, ID",
    "Española, NM",
    "Seattle, WA",
)

SELLERS: tuple[str, ...] = (
    "müller_music",
    "jane.d",
    "o'brien_audio",
    "gear&more",
    "tokyo_vintage_東京",
    "zoë.sells",
    "bargain_bin",
    "second-spin",
    "studio<42>",
    "pat_the_collector",
)

#: Ways a seller shows shipping; None is "Local pickup only".
SHIPPING_COSTS: tuple[Decimal, ...] = (Decimal("9.99"), Decimal("14.50"), Decimal("24.00"), Decimal("35.00"))

#: Titles of broken units ("{product}" is the family's), priced low whatever the condition says.
FOR_PARTS_TITLES: tuple[str, ...] = (
    "For parts: {product}",
    "{product} – not working",
    "{product} – for parts or repair",
    "Broken {product}, for parts",
    "{product} defekt",
    "{product} – Defekt, für Bastler",
    "{product} pour pièces",
    "{product} HS – pour pièces",
    "ジャンク {product}",
    "{product} ジャンク品",
)

#: Titles of posts by somebody who wants to buy "{product}"; their price is a budget.
WANTED_TITLES: tuple[str, ...] = (
    "WANTED: {product}",
    "ISO {product}",
    "WTB {product}",
    "Looking for {product}",
    "Suche {product}",
    "Recherche {product}",
    "Cherche {product}",
    "求む {product}",
)

#: Titles of lots: `{count}` units of "{product}", or "{product}" with "{other}" of its category.
LOT_TITLES: tuple[str, ...] = (
    "Lot of {count} {product}",
    "{count}x {product}",
    "Konvolut: {count} × {product}",
    "Lot de {count} {product}",
    "{product} {count}台セット",
)
PAIR_TITLES: tuple[str, ...] = (
    "{product} + {other} bundle",
    "Bundle: {product} + {other}",
    "Paket: {product} + {other}",
    "Lot {product} + {other}",
    "{product} と {other} セット",
)

#: What a seller adds to the title when reposting an unsold item ("" keeps it as it was).
REPOST_ENDINGS: tuple[str, ...] = ("", "", " – reposted", " – still available", " (relisted)")
PRICE_DROP_ENDING = " – price drop"  # only on a repost that asks less
