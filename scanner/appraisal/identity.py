"""Which product a listing is, from its title.

Sellers name one product in many ways: "Apple iPhone 13 Pro Max 128GB (Unlocked)", "iPhone 13
PRO MAX - 128 GB - Graphite", "GoPro Hero 11" and "GOPRO HERO11 Black". A title is normalized
(Unicode NFKC, case, accents, punctuation, letter–digit boundaries, roman numerals) into atoms,
the seller's noise (condition, colour, carrier, shipping wording, in four languages) is dropped,
and what is left becomes an `Identity`:

- `key`, a short blocking key (the name right before the first model number, and that number:
  "iphone 13", "hero 11", "xps 13") that the database indexes, so finding the candidates of a
  product reads one index range instead of every listing;
- `numbers` and `variants`, what must agree for two listings to be the same product: model
  numbers, variant words that move the price (pro, max, mini, plus…) and storage;
- `text`, the significant words, compared with rapidfuzz's token-set ratio to reject candidates
  that share a key by accident ("Surface Laptop 5" and "Surface Pro 5").

Anything after "with", "w/", "+", "mit", "avec", "inkl." describes extras, not the product.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

#: Two titles sharing a key are the same product only from this similarity (0–100) up.
SIMILARITY_THRESHOLD = 60

_EXTRAS_FROM = re.compile(
    r"\s(?:w/\s?|(?:with|\+|mit|avec|con|inkl\.?|incl\.?|including|inklusive)\s).*$", re.IGNORECASE
)
_BRACKETS = re.compile(r"[\[\]【】()（）「」『』{}]")
_JOINED_CODE = re.compile(r"(?<=[a-z])[-‐‑](?=\d)|(?<=\d)[-‐‑](?=[a-z]\b)")
_STORAGE_SPLIT = re.compile(r"(\d+)\s*(gb|tb|go|to)\b")
_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_RUNS = re.compile(r"[^\W_]+")
_SCRIPT_RUNS = re.compile(r"[a-z]+|\d+|[\u3040-\u309f\u30a0-\u30ff]+|[\u4e00-\u9fff々]+|[^\W\d_]+")

_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_STORAGE_UNITS = {"gb", "tb", "go", "to"}
_MEASURES = {"mm", "cm", "m", "in", "inch", "zoll", "mah", "w", "hz", "ghz", "mhz", "mp", "k", "cc", "ml", "kg", "g"}
#: Words that make a different product of the same line and number.
VARIANT_WORDS = frozenset(
    {"pro", "max", "mini", "plus", "ultra", "air", "lite", "se", "xl", "xs", "xr", "fe", "slim", "studio", "carbon"}
)
#: Words that name a kind of product, not which one.
KIND_WORDS = frozenset(
    "phone smartphone handy cellphone laptop notebook guitar camera kamera appareil drone dron motorcycle "
    "motorbike bike tablet computer console watch".split()
)
#: Never the name before a model number: kinds, and words that precede any number.
_GENERIC = KIND_WORDS | frozenset(
    "cell mobile photo lens body apple model modell generation gen series serie mark mk version edition".split()
)
_NOISE = frozenset(
    """
    a an the and or of for to in on at by from this that is it all only very really super like
    new brand used pre owned preowned refurbished renewed certified open box sealed mint excellent great good
    fair nice clean perfect pristine tested working works condition cond grade stock quality a+ b c
    unlocked locked factory fully carrier sim free gsm cdma verizon att at t tmobile mobile sprint cricket
    metro boost straight talk tracfone xfinity us usa international version wifi wi fi cellular lte 5g 4g
    fast ship shipping shipped same day ships sale sell selling obo firm cash pickup local price negotiable
    offer offers check description read see please look nwt nib bnib oem original genuine authentic
    black white silver gold grey gray blue red green purple pink yellow orange graphite midnight starlight space
    rose sierra alpine pacific coral product jet matte titanium natural deep sunburst colors colours color colour
    smartphone phone
    neu neuwertig gebraucht wie top zustand mit und für fur ohne sehr gut ovp originalverpackt inkl versand
    schwarz weiß weiss silber blau rot grün grun spacegrau grau
    available sold pending retina ret
    très tres bon état etat avec pour sans de du des et en neuf comme occasion noir blanc bleu rouge vert gris
    中古 美品 新品 未使用 未開封 送料無料 即決 品 の
    """.split()
)
_ORDINALS = frozenset({"st", "nd", "rd", "th", "e", "er", "eme", "te", "ter"})
_ALPHA = {"α": "a", "β": "b", "µ": "u", "μ": "u"}


@dataclass(frozen=True)
class Identity:
    """What a title says the product is (see the module docstring)."""

    key: str | None
    numbers: frozenset[str]
    variants: frozenset[str]
    storage: frozenset[str]
    text: str  # the significant atoms: "gopro hero 11" for "GoPro HERO11 Black"

    def same_product(self, other: Identity) -> bool:
        """Same key, the same variant words, no model number or storage that contradicts the
        other's (a number one title leaves out is not a contradiction), and similar words."""
        return self.key is not None and self.key == other.key and _same_product(self, other)


@lru_cache(maxsize=262144)
def _same_product(one: Identity, other: Identity) -> bool:
    """Cached: a scan compares each of its listings with up to 200 stored ones, most of them
    worded alike."""
    if one.variants != other.variants:
        return False
    if not (one.numbers <= other.numbers or other.numbers <= one.numbers):
        return False
    if one.storage and other.storage and not one.storage & other.storage:
        return False
    return similarity(one.text, other.text) >= SIMILARITY_THRESHOLD


def similarity(text: str, other: str) -> float:
    """rapidfuzz's token-set ratio (0–100): word order and repeated words do not count."""
    return float(fuzz.token_set_ratio(text, other))


@lru_cache(maxsize=65536)
def normalize(title: str) -> str:
    """Case, width and accents folded (Japanese kept), punctuation to spaces, codes joined:
    "Sony α7 III (ILCE-7M3)" → "sony a7 iii ilce7m3", "128 GB" → "128gb". Cached: the junk rules
    and the identity each read the same titles."""
    text = title.lower() if title.isascii() else unicodedata.normalize("NFKC", title).casefold().translate(_FOLDED)
    text = _BRACKETS.sub(" ", text)
    text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    text = _JOINED_CODE.sub("", text)
    text = _STORAGE_SPLIT.sub(r"\1\2", text)
    return " ".join(text.replace("'", "").replace("’", "").split())


def _unaccented(char: str) -> str:
    """ "é" → "e", "ü" → "u"; other scripts as they are (a kana's voicing mark is no accent)."""
    return "".join(part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part))


#: Greek letters used as Latin ones, and Latin letters with accents folded, as one `str.translate` table.
_FOLDED = str.maketrans({**{chr(code): _unaccented(chr(code)) for code in range(0xC0, 0x250)}, **_ALPHA})


def core_title(title: str) -> str:
    """The part of a normalized title that names the product, without its extras."""
    return _EXTRAS_FROM.sub("", title)


@lru_cache(maxsize=65536)
def atoms(text: str) -> tuple[tuple[str, ...], ...]:
    """Each word of `text` split into atoms at letter–digit and script boundaries, roman numerals
    as digits: "a7iii" → ["a", "7", "3"], "iphone13用" → ["iphone", "13", "用"]."""
    return tuple(_atoms_of_word(run) for run in _RUNS.findall(text))


def _atoms_of_word(word: str) -> tuple[str, ...]:
    if word.isalpha() and word.isascii():  # most words: one atom, no numeral to read
        return (_ROMAN.get(word, word),)
    return tuple(_ROMAN.get(part, part) for part in _SCRIPT_RUNS.findall(word))


def _storage_of(parts: tuple[str, ...]) -> str | None:
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in _STORAGE_UNITS:
        return parts[0] + ("tb" if parts[1] in ("tb", "to") else "gb")
    return None


def _is_year(number: str) -> bool:
    return len(number) == 4 and 1950 <= int(number) <= 2039


@lru_cache(maxsize=65536)
def identify(title: str) -> Identity:
    """The identity of the product a title names."""
    numbers: list[str] = []
    variants: set[str] = set()
    storage: set[str] = set()
    significant: list[str] = []
    names: list[str] = []
    key_number: tuple[str, str | None] | None = None  # (number, the name before it)
    for parts in atoms(core_title(normalize(title))):
        word = "".join(parts)
        if word in _NOISE:
            continue
        stored = _storage_of(parts)
        if stored:
            storage.add(stored)
            continue
        if len(parts) == 2 and parts[0].isdigit() and parts[1] in _ORDINALS:
            parts, word = parts[:1], parts[0]  # "2nd gen": the generation is a model number
        elif len(parts) == 2 and parts[0].isdigit() and parts[1] in _MEASURES:
            continue  # a size or a focal length describes, it does not identify
        significant.extend(parts)
        for part in parts:
            if part.isdigit():
                if len(part) > 7:
                    continue  # a serial or phone number, not a model
                number = part.lstrip("0") or "0"
                numbers.append(number)
                if key_number is None and not _is_year(number):  # a year dates, it does not name
                    key_number = (number, names[-1] if names else None)
            elif part in VARIANT_WORDS:
                variants.add(part)
            elif part not in _GENERIC and part not in _NOISE:
                names.append(part)
    key: str | None
    if key_number:
        number, name = key_number
        key = f"{name} {number}" if name else number
    else:
        key = " ".join(sorted(names[:3])) or None
    return Identity(
        key=key[:64] if key else None,
        numbers=frozenset(numbers),
        variants=frozenset(variants),
        storage=frozenset(storage),
        text=" ".join(significant),
    )
