"""The verdict on one listing among comparables: deal, fair, above, not enough data, excluded."""

from __future__ import annotations

from decimal import Decimal

from models.tables import Condition, JunkKind
from scanner.appraisal.verdict import Candidate, Pool, Rules, Verdict, appraise

RULES = Rules(min_samples=5)


def item(ref: int, total: str | None, title: str = "Nikon D750 DSLR camera", **fields: object) -> Candidate:
    values: dict[str, object] = {"currency": "USD", "condition": Condition.USED, "junk": None}
    values.update(fields)
    return Candidate(ref=ref, title=title, total=Decimal(total) if total else None, **values)  # type: ignore[arg-type]


MARKET = [item(number, str(600 + number * 10)) for number in range(1, 8)]  # 610 … 670, median 640


def verdict(one: Candidate, rules: Rules = RULES) -> tuple[Verdict, str | None]:
    appraisal = appraise(one, Pool([one, *MARKET]), rules)
    return appraisal.verdict, appraisal.excluded_reason


def test_at_least_the_discount_under_the_market_is_a_deal() -> None:
    assert verdict(item(0, "500")) == (Verdict.DEAL, None)  # 21.9 % under 640


def test_near_the_market_is_fair_and_well_over_it_is_above() -> None:
    assert verdict(item(0, "600")) == (Verdict.FAIR, None)
    assert verdict(item(0, "710")) == (Verdict.ABOVE, None)


def test_under_thirty_percent_of_the_market_is_suspicious() -> None:
    assert verdict(item(0, "150")) == (Verdict.EXCLUDED, "suspicious")


def test_a_token_auction_bid_is_a_placeholder_not_a_bargain() -> None:
    assert verdict(item(0, "150", auction=True)) == (Verdict.EXCLUDED, "placeholder_price")


def test_junk_is_excluded_unless_the_search_asks_for_it() -> None:
    broken = item(0, "200", junk=JunkKind.FOR_PARTS, condition=Condition.FOR_PARTS)
    assert verdict(broken) == (Verdict.EXCLUDED, "for_parts")
    repairer = Rules(min_samples=5, allowed_junk=frozenset({JunkKind.FOR_PARTS}))
    assert verdict(broken, repairer) == (Verdict.NOT_ENOUGH_DATA, None)  # working cameras are no comparables


def test_other_conditions_currencies_and_products_are_no_comparables() -> None:
    others = [
        *(item(10 + n, "900", condition=Condition.NEW) for n in range(5)),
        *(item(20 + n, "900", currency="EUR") for n in range(5)),
        *(item(30 + n, "900", title="Nikon D850 DSLR camera") for n in range(5)),
    ]
    appraisal = appraise(item(0, "600"), Pool([*others, *MARKET]), RULES)
    assert appraisal.market is not None and appraisal.market.median == Decimal("640")
    assert {other.ref for other in appraisal.comparables} == {other.ref for other in MARKET}


def test_a_listing_is_never_its_own_comparable() -> None:
    lonely = item(0, "600")
    assert appraise(lonely, Pool([lonely] * 10), RULES).verdict is Verdict.NOT_ENOUGH_DATA
