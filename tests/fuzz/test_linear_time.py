"""Reading a page takes time linear in its length, however the page is built: a field holding a
long run of one hostile piece (digits, brackets, script tags…) costs, at four times the length,
at most `GROWTH` times as much CPU — a quadratic step costs sixteen times. The same holds for
every regular expression of the adapters, as each is used.

CPU time of this thread (`time.thread_time`) compared between two sizes of the same input (and,
before a failure is believed, the least of three runs of each): a ratio with a margin, no
wall-clock threshold. Below `FLOOR_SECONDS` a measurement is noise and counts as the floor.
"""

from __future__ import annotations

import ast
import html
import importlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import scanner.marketplaces
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.nextjs import next_data_script

from .conftest import FUZZ
from .hostile import Page, read

GROWTH = 8
FLOOR_SECONDS = 0.002
TOO_SLOW_SECONDS = 1.0  # the smaller input already this slow: no need to try the larger
PAYLOAD = 64_000  # characters of the hostile run at the smaller size


def cpu_time(run: Callable[[], object]) -> float:
    """The CPU time of this thread that `run` took."""
    start = time.thread_time()
    run()
    return time.thread_time() - start


def assert_linear(cost: Callable[[int], float], label: str, size: int) -> None:
    """`cost(4 * size)` within `GROWTH` times `cost(size)`; measured again, the least of three,
    before a failure is believed."""
    small = cost(size)
    assert small < TOO_SLOW_SECONDS, f"{label}: {small:.2f} s of CPU at {size:,} characters"
    large = cost(4 * size)
    if large > GROWTH * max(small, FLOOR_SECONDS):
        small, large = min(small, cost(size), cost(size)), min(large, cost(4 * size), cost(4 * size))
    assert large <= GROWTH * max(small, FLOOR_SECONDS), (
        f"{label}: {small * 1000:.1f} ms at {size:,} characters, {large * 1000:.1f} ms at {4 * size:,}"
    )


# --- whole pages ----------------------------------------------------------------------------------


def _in_html(payload: str) -> str:
    return html.escape(payload, quote=False)


def _in_json(payload: str) -> str:
    return json.dumps(payload)[1:-1]


def _raw(payload: str) -> str:
    return payload


@dataclass(frozen=True)
class Slot:
    """Where a fixture takes the hostile run: in place of `anchor`, written as `write` writes it."""

    page: Page
    anchor: str
    write: Callable[[str], str]

    def body(self, payload: str) -> str:
        text = self.page.text
        assert self.anchor in text, f"{self.anchor!r} is not in {self.page.fixture}"
        return text.replace(self.anchor, self.write(payload), 1)

    def __repr__(self) -> str:  # for Hypothesis's report
        return f"Slot({self.page.fixture}, {self.anchor!r})"


_DEMO = Page("demo", "demo/laptop_results_page1.html", "http://127.0.0.1:8765/search?q=laptop")
_EBAY = Page("ebay", "ebay/search_s_item_us.html", "https://www.ebay.com/sch/i.html?_nkw=iphone")
_EBAY_CARDS = Page("ebay", "ebay/search_s_card_us.html", "https://www.ebay.com/sch/i.html?_nkw=switch")
_FACEBOOK = Page(
    "facebook", "facebook/search_requirelazy_portland.html", "https://www.facebook.com/marketplace/pdx/search"
)
DEMO_PRICE = Slot(_DEMO, "$665.00", _in_html)
EBAY_BIDS = Slot(_EBAY, "12 bids", _in_html)
EBAY_TIME_LEFT = Slot(_EBAY, "2d 4h left", _in_html)
EBAY_CARD_BIDS = Slot(_EBAY_CARDS, "18 bids", _in_html)
FACEBOOK_PAGE = Slot(_FACEBOOK, "</body>", lambda payload: payload + "</body>")
SLOTS = (
    DEMO_PRICE,
    Slot(_DEMO, "Lenovo ThinkPad X1 Carbon Gen 9 laptop</a>", lambda payload: _in_html(payload) + "</a>"),
    Slot(_EBAY, "$305.00", _in_html),
    EBAY_BIDS,
    EBAY_TIME_LEFT,
    Slot(_EBAY, "phonedepot_us (2,318) 99.6%", _in_html),
    EBAY_CARD_BIDS,
    Slot(_EBAY_CARDS, " 99.8% positive (4.1K)", _in_html),
    Slot(Page("ebay", "ebay/browse_search_page1.json"), '"305.00"', lambda payload: json.dumps(payload)),
    Slot(Page("craigslist", "craigslist/rendered_gallery_boston.html"), "$650", _in_html),
    Slot(Page("craigslist", "craigslist/static_toronto_page1.html"), "</body>", lambda payload: payload + "</body>"),
    Slot(Page("craigslist", "craigslist/sapi_seattle_bik.json"), '"$650"', lambda payload: json.dumps(payload)),
    FACEBOOK_PAGE,
    Slot(_FACEBOOK, '"$150"', lambda payload: json.dumps(payload)),
    Slot(Page("facebook", "facebook/rendered_cards_montreal.html"), "</body>", lambda payload: payload + "</body>"),
    Slot(Page("jsonld", "jsonld/product_offer.html", "https://shop.example/p/1"), "279.99", _in_json),
    Slot(Page("jsonld", "jsonld/product_microdata.html", "https://shop.example/p/2"), "</body>", _raw),
    Slot(Page("kijiji", "kijiji/next_data_calgary_civics.json"), "2016 Honda Civic LX, one owner", _in_json),
    Slot(Page("kijiji", "kijiji/search_apollo_ottawa_bikes.html"), "</body>", lambda payload: payload + "</body>"),
    Slot(Page("marktplaats", "marktplaats/api_answer.json"), "Sparta Pick-Up herenfiets 57 cm", _in_json),
    Slot(Page("marktplaats", "marktplaats/search_page.html"), "</body>", lambda payload: payload + "</body>"),
    Slot(Page("mercari", "mercari/search_page1.json"), '"29800"', lambda payload: json.dumps(payload)),
)
#: Pieces that made a parser step quadratic (issue 20), and the characters such steps trip on.
KNOWN_PIECES = [
    *("9", "1", " ", "(", "1,", "1.", "$1", "-", "%", "1 ", "<a>"),
    *("<script>", '<script>"feed_units":', '<script id="__NEXT_DATA__"'),
]
HOSTILE_CHARACTERS = '0123456789 .,-$%()<>/"\\:;~_aAzZ€¥'


def _read_time(slot: Slot, piece: str) -> Callable[[int], float]:
    def cost(size: int) -> float:
        body = slot.body(piece * (size // len(piece)))

        def run() -> None:
            try:
                read(slot.page.marketplace, body, slot.page.source_url, cpu_seconds=2 * TOO_SLOW_SECONDS)
            except ScanError as error:
                assert error.error_class is not ErrorClass.PARSE_TIMEOUT, f"{slot}: {error}"

        return cpu_time(run)

    return cost


@FUZZ
@given(
    slot=st.sampled_from(SLOTS),
    piece=st.one_of(st.sampled_from(KNOWN_PIECES), st.text(HOSTILE_CHARACTERS, min_size=1, max_size=4)),
)
@example(slot=DEMO_PRICE, piece="9")  # a card priced "$" and 100,000 digits took a scan 147 s
@example(slot=EBAY_BIDS, piece="1")  # 16,000 digits before "bids": 16.7 s
@example(slot=EBAY_CARD_BIDS, piece="1")
@example(slot=EBAY_TIME_LEFT, piece="8")  # 8,000 digits of time left: 9.4 s
@example(slot=EBAY_TIME_LEFT, piece="(")
@example(slot=FACEBOOK_PAGE, piece='<script>"feed_units":')  # 248 KB of script tags and keys: 18 s
def test_reading_a_page_takes_time_linear_in_its_length(slot: Slot, piece: str) -> None:
    assert_linear(_read_time(slot, piece), f"{slot} filled with {piece!r}", PAYLOAD)


# --- every regular expression of the adapters -----------------------------------------------------

_SCANNING = {"search", "findall", "finditer", "sub", "subn", "split"}  # tried from every position
_ANCHORED = {"match", "fullmatch"}
_ADAPTERS = Path(scanner.marketplaces.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(_ADAPTERS.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def regex_uses() -> list[tuple[str, re.Pattern[str], str]]:
    """Each regular expression of `scanner/marketplaces` with each way it is used: compiled at
    module level and called by name, or written inline in a `re.<function>(r"…", …)` call."""
    uses: set[tuple[str, re.Pattern[str], str]] = set()
    for path in sorted(_ADAPTERS.rglob("*.py")):
        module = importlib.import_module(_module_name(path))
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method, owner = node.func.attr, node.func.value
            if method not in _SCANNING | _ANCHORED or not isinstance(owner, ast.Name):
                continue
            if owner.id == "re" and node.args and isinstance(node.args[0], ast.Constant):
                pattern = re.compile(str(node.args[0].value))
            elif isinstance(getattr(module, owner.id, None), re.Pattern):
                pattern = getattr(module, owner.id)
            else:
                continue
            label = f"{module.__name__}.{owner.id if owner.id != 're' else repr(pattern.pattern)}"
            uses.add((label, pattern, "findall" if method in _SCANNING else method))
    return sorted(uses, key=lambda use: (use[0], use[2]))


REGEX_USES = regex_uses()
RUN_PIECES = [*KNOWN_PIECES, "a", "A", "_", ".", "/", ":", "a1", "1a", "-1"]


def test_the_audit_finds_the_adapters_regular_expressions() -> None:
    labels = {label for label, _, _ in REGEX_USES}
    assert len(REGEX_USES) > 50
    assert {"scanner.marketplaces.ebay.web._BIDS", "scanner.marketplaces.prices._PLAIN_DOLLARS"} <= labels


@pytest.mark.parametrize(("label", "pattern", "method"), REGEX_USES, ids=[f"{u[0]}.{u[2]}" for u in REGEX_USES])
def test_every_regular_expression_runs_in_linear_time(label: str, pattern: re.Pattern[str], method: str) -> None:
    apply = getattr(pattern, method)
    for piece in RUN_PIECES:

        def cost(size: int, piece: str = piece) -> float:
            text = piece * (size // len(piece)) + "!"
            return cpu_time(lambda: apply(text))

        assert_linear(cost, f"{label}.{method} on a run of {piece!r}", 4_000)


def test_finding_the_next_js_data_is_linear_in_the_page() -> None:
    """Kijiji's and Marktplaats's pages: each unclosed `<script id="__NEXT_DATA__"` searched the rest
    of the page for its `>` (a search as fast as memory, so only megabytes show it)."""

    def cost(size: int) -> float:
        body = '<script id="__NEXT_DATA__"' * (size // 26)
        return cpu_time(lambda: next_data_script(body))

    assert_linear(cost, "next_data_script", 500_000)
