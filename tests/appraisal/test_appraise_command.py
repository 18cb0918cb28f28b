"""`python -m scanner appraise`: what Deal Scout says about a saved page, in a fixed JSON shape."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import Cli, Result

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "tests" / "fixtures" / "appraise" / "browse_nikon_d750.json"  # written for this test
CAPTURES = ROOT.parent / "shared" / "fixtures"
KEYS = [
    "external_id",
    "title",
    "total",
    "currency",
    "market_price",
    "sample_size",
    "comparables",
    "verdict",
    "excluded_reason",
]


@pytest.fixture
def appraise(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """`python -m scanner appraise ARGS…`, run in this process (tests/cli.py)."""
    scanner = Cli(monkeypatch, capsys)
    return lambda *args: scanner("appraise", *args)


@pytest.fixture
def verdicts(appraise: Callable[..., Result]) -> dict[str, dict[str, object]]:
    done = appraise("ebay", str(PAGE), "--query", "nikon d750")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [item["external_id"] for item in listed] == [f"4000000000{n:02d}" for n in range(1, 13)]  # page order
    assert all(list(item) == KEYS for item in listed)
    return {str(item["external_id"])[-2:]: item for item in listed}


def test_a_listing_well_under_its_comparables_is_a_deal(verdicts: dict[str, dict[str, object]]) -> None:
    assert verdicts["07"] == {
        "external_id": "400000000007",
        "title": "Nikon D750 DSLR camera body, low shutter count",
        "total": "480.00",
        "currency": "USD",
        "market_price": "647.50",
        "sample_size": 6,
        "comparables": [f"4000000000{n:02d}" for n in range(1, 7)],
        "verdict": "deal",
        "excluded_reason": None,
    }


def test_listings_near_or_over_their_market_are_fair_or_above(verdicts: dict[str, dict[str, object]]) -> None:
    assert verdicts["01"]["verdict"] == "fair"
    assert verdicts["04"]["verdict"] == "above"


def test_junk_and_too_good_to_be_true_are_excluded_with_their_reason(verdicts: dict[str, dict[str, object]]) -> None:
    reasons = {key: verdicts[key]["excluded_reason"] for key in ("08", "09", "10", "11", "12")}
    assert reasons == {
        "08": "suspicious",
        "09": "accessory",
        "10": "for_parts",
        "11": "placeholder_price",
        "12": "off_query",
    }
    assert {verdicts[key]["verdict"] for key in reasons} == {"excluded"}


def test_without_enough_comparables_it_says_so(appraise: Callable[..., Result]) -> None:
    done = appraise("ebay", str(ROOT / "tests" / "fixtures" / "ebay" / "browse_search_page1.json"))
    assert done.returncode == 0, done.stderr
    assert {item["verdict"] for item in json.loads(done.stdout)} <= {"not_enough_data", "excluded"}


def test_an_unreadable_file_is_one_line_and_exit_2(appraise: Callable[..., Result], tmp_path: Path) -> None:
    done = appraise("ebay", str(tmp_path / "missing.json"))
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)


@pytest.mark.skipif(not (CAPTURES / "ebay").is_dir(), reason=f"real captures not found in {CAPTURES}")
def test_on_a_real_iphone_response_each_model_is_judged_against_its_own_model(appraise: Callable[..., Result]) -> None:
    """The search-wide median ($309) called every iPhone 8 a deal and every 13 Pro Max overpriced."""
    done = appraise("ebay", str(CAPTURES / "ebay" / "browse_search_iphone_best_match.json"), "--query", "iphone")
    listed = {str(item["external_id"]): item for item in json.loads(done.stdout)}
    model = {key: re.search(r"iphone\s*(\d+|x[rs]?|se)", str(item["title"]).lower()) for key, item in listed.items()}
    priced = [item for item in listed.values() if item["market_price"] is not None]
    assert len(priced) >= 10
    for item in priced:
        own = model[str(item["external_id"])]
        assert own and all(model[other] and model[other].group(1) == own.group(1) for other in item["comparables"])
    assert not [
        item for key, item in listed.items() if model[key] and model[key].group(1) == "8" and item["verdict"] == "deal"
    ]
    assert not [
        item for item in listed.values() if "13 pro max" in str(item["title"]).lower() and item["verdict"] == "above"
    ]
