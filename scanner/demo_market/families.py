"""What the demo market sells: product families with a market price, and the words sellers use.

Plain data, kept apart from the rules in `catalogue` so adding a family is a one-line change.
Titles carry non-ASCII text and characters that must be escaped in HTML (`&`, quotes), because
real marketplaces do and parsers have to cope.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Family:
    """A product most listings of which sell near `market_price` (USD)."""

    name: str  # contains the category word, so a search for it finds the family
    market_price: Decimal


@dataclass(frozen=True)
class Category:
    word: str  # "guitar": what a search types
    code: str  # first letter of listing ids: G123
    arrival_offset_seconds: int  # so the categories do not all list at the same second
    families: tuple[Family, ...]
    extras: tuple[str, ...]  # title endings only this kind of item has


def _family(name: str, price: int) -> Family:
    return Family(name, Decimal(price))


CATEGORIES: tuple[Category, ...] = (
    Category(
        word="guitar",
        code="G",
        arrival_offset_seconds=0,
        families=(
            _family("Fender Player Stratocaster electric guitar", 650),
            _family("Gibson Les Paul Standard '50s guitar", 2300),
            _family("Yamaha FG800 acoustic guitar", 190),
            _family("Martin D-28 acoustic guitar", 2600),
            _family("Ibanez RG421 electric guitar", 330),
            _family('Epiphone "Les Paul Special" guitar', 170),
            _family("Taylor 214ce acoustic-electric guitar", 1000),
        ),
        extras=(" w/ hard case & strap", " + gig bag", " – made in Japan 日本製", " – Sunburst"),
    ),
    Category(
        word="camera",
        code="C",
        arrival_offset_seconds=80,
        families=(
            _family("Canon EOS R6 mirrorless camera body", 1500),
            _family("Sony α7 III camera (ILCE-7M3)", 1300),
            _family("Nikon D750 DSLR camera", 650),
            _family("Fujifilm X100V camera", 1400),
            _family("Olympus OM-D E-M10 Mark III camera", 380),
            _family("Leica M6 film camera", 4200),
            _family("GoPro HERO11 action camera", 250),
        ),
        extras=(" + 50mm f/1.8 lens", " body only", " w/ 2 batteries & charger", " – カメラ 日本語メニュー"),
    ),
    Category(
        word="laptop",
        code="L",
        arrival_offset_seconds=160,
        families=(
            _family('Apple MacBook Air M2 13" laptop', 850),
            _family("Lenovo ThinkPad X1 Carbon Gen 9 laptop", 700),
            _family("Dell XPS 13 9310 laptop", 600),
            _family("Framework Laptop 13", 800),
            _family("ASUS ROG Zephyrus G14 gaming laptop", 1100),
            _family("HP Spectre x360 laptop", 750),
            _family("Microsoft Surface Laptop 5", 650),
        ),
        extras=(" 16GB/512GB", " w/ charger & sleeve", " – clavier AZERTY français", " – Tastatur QWERTZ"),
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
