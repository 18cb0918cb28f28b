"""How often Deal Scout's judgement of a price is right, on listings whose truth is known.

    python -m bench.deal_quality          # this section alone, with the misses listed
    python -m bench --only deal_quality

Two labeled sets:
- **captured**: real marketplace pages beside the project (`../shared/fixtures/`, read in place)
  with hand labels in `tests/fixtures/deal_quality/` (product identity, junk kind, condition);
- **demo**: two days of the demo market's catalogue, whose families, conditions and junk are
  ground truth by construction.

Each listing is appraised by `scanner.appraisal` with the rest of its set as the stored market
(any page, any search), as a scan appraises against every stored listing. A product's true
median is the median total of the non-junk listings labeled with the same product, condition
and currency (groups of at least `TRUTH_MIN` listings). Reported, with today's targets:
market price within ±20 % of the true median (≥ 80 %, of the listings given a market price;
the share given one is the note), junk recall and precision (≥ 90 % each), deal precision
(≥ 90 %: a "deal" is truly ≥ 15 % under) and deal recall (≥ 70 % of listings truly ≥ 30 %
under, and not so far under that they are suspicious by design). The same figures for the rule
before comparables — the median of everything on the page — are the baseline in the note.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench.measure import Figure, Samples, Target
from bench.options import Options
from demo_market import catalogue
from demo_market.catalogue import EPOCH
from models.settings import load_settings
from models.tables import JunkKind
from scanner.appraisal.junk import classify
from scanner.appraisal.listing import candidate
from scanner.appraisal.verdict import SUSPICIOUS_FRACTION, Appraisal, Candidate, Pool, Rules, Verdict, appraise
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "fixtures" / "deal_quality"
CAPTURED = ROOT.parent / "shared" / "fixtures"
TRUTH_MIN = 3  # listings of one product, condition and currency that make a true median
DEMO_HOURS = 48
TRULY_A_DEAL = Decimal("0.85")  # a predicted deal is right at or under 85 % of the true median
CLEARLY_A_DEAL = Decimal("0.70")  # a deal recall must find: 30 % or more under the true median


@dataclass(frozen=True)
class Labeled:
    """One listing with its truth."""

    listing: ListingData
    query: str | None
    product: str
    junk: JunkKind | None
    condition: str | None
    source: str  # the capture or "demo"

    @property
    def truth_group(self) -> tuple[str, str | None, str]:
        return self.product, self.condition, self.listing.currency


@dataclass(frozen=True)
class Judged:
    market: Decimal | None
    verdict: Verdict
    junk: bool  # excluded as junk (not as suspicious)


@dataclass(frozen=True)
class Quality:
    market_within: float  # % of listings given a market price whose price is within ±20 %
    market_coverage: float  # % of listings with a true median that were given a market price
    junk_recall: float
    junk_precision: float
    deal_precision: float
    deal_recall: float
    counts: dict[str, int]


def captured_set() -> list[Labeled]:
    """The hand-labeled real captures; empty where `../shared/fixtures` is not beside the project."""
    labeled: list[Labeled] = []
    for path in sorted(LABELS.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        page = CAPTURED / spec["capture"]
        if not page.is_file():
            continue
        listings = get_adapter(spec["marketplace"]).parse(page.read_text(encoding="utf-8"))
        for listing in listings:
            label = spec["labels"][listing.external_id]
            labeled.append(
                Labeled(
                    listing,
                    spec["query"],
                    label["product"],
                    JunkKind(label["junk"]) if label["junk"] else None,
                    label["condition"],
                    spec["capture"],
                )
            )
    return labeled


def demo_set(hours: int = DEMO_HOURS) -> list[Labeled]:
    """Every demo listing shown over `hours`, as last seen, labeled by its family and junk."""
    seen: dict[str, catalogue.DemoListing] = {}
    start = EPOCH + timedelta(days=30)
    for step in range(0, hours * 60, 20):
        for shown in catalogue.listings(start + timedelta(minutes=step)):
            seen[shown.listing_id] = shown
    return [
        Labeled(
            ListingData(
                external_id=shown.listing_id,
                title=shown.title,
                url=f"https://demo.invalid/{shown.listing_id}",
                price=shown.price,
                currency="USD",
                condition=shown.condition_label,
                shipping=shown.shipping,
            ),
            shown.category,
            shown.family,
            shown.junk,
            shown.condition.value,
            "demo",
        )
        for shown in seen.values()
        if shown.status == "active" or shown.price is not None
    ]


def true_medians(labeled: Sequence[Labeled]) -> dict[tuple[str, str | None, str], Decimal]:
    """The median total of each product, condition and currency among the real (non-junk) items."""
    totals: dict[tuple[str, str | None, str], list[Decimal]] = defaultdict(list)
    for item in labeled:
        total = item.listing.total_cost()
        if item.junk is None and total is not None and total > 0:
            totals[item.truth_group].append(total)
    return {group: statistics.median(values) for group, values in totals.items() if len(values) >= TRUTH_MIN}


def appraised(labeled: Sequence[Labeled], rules: Rules) -> list[Judged]:
    """Deal Scout's judgement of each listing, the rest of the set standing for the stored market."""
    candidates = [
        candidate(item.listing, index, classify(item.listing, item.query).for_search)
        for index, item in enumerate(labeled)
    ]
    by_key: dict[tuple[str | None, str], list[Candidate]] = defaultdict(list)
    for one in candidates:
        by_key[(one.identity.key, one.currency)].append(one)
    pools = {product: Pool(group) for product, group in by_key.items()}
    judged = []
    for one in candidates:
        appraisal: Appraisal = appraise(one, pools[(one.identity.key, one.currency)], rules)
        is_junk = appraisal.verdict is Verdict.EXCLUDED and appraisal.excluded_reason in set(JunkKind)
        judged.append(Judged(appraisal.market.median if appraisal.market else None, appraisal.verdict, is_junk))
    return judged


def page_median_rule(labeled: Sequence[Labeled], rules: Rules) -> list[Judged]:
    """The rule before comparables: the median of every priced listing of the same page and currency."""
    pages: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for item in labeled:
        total = item.listing.total_cost()
        if total is not None:
            pages[(item.source, item.listing.currency)].append(total)
    judged = []
    for item in labeled:
        totals = pages[(item.source, item.listing.currency)]
        total = item.listing.total_cost()
        market = statistics.median(totals) if len(totals) >= rules.min_samples else None
        if market is None or total is None:
            judged.append(Judged(market, Verdict.NOT_ENOUGH_DATA, False))
            continue
        deal = total <= market * (1 - rules.discount_pct / 100)
        judged.append(Judged(market, Verdict.DEAL if deal else Verdict.FAIR, False))
    return judged


def _share(hits: int, total: int) -> float:
    return 100.0 * hits / total if total else float("nan")


def quality(labeled: Sequence[Labeled], judged: Sequence[Judged]) -> Quality:
    medians = true_medians(labeled)
    with_truth = [
        (item, one, medians[item.truth_group])
        for item, one in zip(labeled, judged, strict=True)
        if item.junk is None and item.truth_group in medians
    ]
    priced = [(one.market, truth) for _, one, truth in with_truth if one.market is not None]
    within = sum(1 for market, truth in priced if abs(market - truth) <= truth * Decimal("0.2"))
    junk_true = [item.junk is not None for item in labeled]
    junk_said = [one.junk for one in judged]
    found = sum(1 for truth, said in zip(junk_true, junk_said, strict=True) if truth and said)
    deals = [
        (item, medians.get(item.truth_group))
        for item, one in zip(labeled, judged, strict=True)
        if one.verdict is Verdict.DEAL
    ]
    right = sum(
        1
        for item, truth in deals
        if item.junk is None and truth is not None and (item.listing.total_cost() or 0) <= truth * TRULY_A_DEAL
    )
    clear = [
        (item, one)
        for item, one, truth in with_truth
        if (total := item.listing.total_cost()) is not None
        and truth * SUSPICIOUS_FRACTION <= total <= truth * CLEARLY_A_DEAL
    ]
    return Quality(
        market_within=_share(within, len(priced)),
        market_coverage=_share(len(priced), len(with_truth)),
        junk_recall=_share(found, sum(junk_true)),
        junk_precision=_share(found, sum(junk_said)),
        deal_precision=_share(right, len(deals)),
        deal_recall=_share(sum(1 for _, one in clear if one.verdict is Verdict.DEAL), len(clear)),
        counts={
            "listings": len(labeled),
            "with true median": len(with_truth),
            "junk": sum(junk_true),
            "deals said": len(deals),
            "clear deals": len(clear),
        },
    )


def _figure(name: str, backend: str, value: float, target: float, note: str) -> Figure:
    how = "labeled listings, the rest of the set as the market"
    return Figure(name, backend, how, Samples((value,), "%", "higher"), Target(target, "higher"), note)


def figures_for(label: str, labeled: Sequence[Labeled], rules: Rules) -> list[Figure]:
    ours = quality(labeled, appraised(labeled, rules))
    before = quality(labeled, page_median_rule(labeled, rules))
    counts = ", ".join(f"{number} {what}" for what, number in ours.counts.items())

    def was(value: float) -> str:
        return f"page-median rule: {value:.0f} %" if value == value else "page-median rule: —"

    found = [
        _figure(
            f"market price within ±20 % ({label})",
            label,
            ours.market_within,
            80,
            f"{ours.market_coverage:.0f} % of listings with a true median got one; {was(before.market_within)}; "
            f"{counts}",
        ),
        _figure(f"junk recall ({label})", label, ours.junk_recall, 90, was(before.junk_recall)),
        _figure(f"junk precision ({label})", label, ours.junk_precision, 90, was(before.junk_precision)),
    ]
    if ours.counts["deals said"] and ours.counts["clear deals"]:  # a set without true deals cannot judge these
        found += [
            _figure(f"deal precision ({label})", label, ours.deal_precision, 90, was(before.deal_precision)),
            _figure(f"deal recall ({label})", label, ours.deal_recall, 70, was(before.deal_recall)),
        ]
    return found


def run(options: Options) -> list[Figure]:
    rules = Rules(min_samples=load_settings().market_min_samples)
    found = figures_for("demo", demo_set(), rules)
    captured = captured_set()
    if captured:
        found += figures_for("captured", captured, rules)
    return found


def misses(labeled: Sequence[Labeled], judged: Sequence[Judged]) -> Iterable[str]:
    """Each listing judged wrongly, for reading while tuning the rules."""
    medians = true_medians(labeled)
    for item, one in zip(labeled, judged, strict=True):
        truth = medians.get(item.truth_group)
        total = item.listing.total_cost()
        wrong_junk = (item.junk is not None) != one.junk
        wrong_market = (
            truth is not None
            and item.junk is None
            and one.market is not None
            and abs(one.market - truth) > truth * Decimal("0.2")
        )
        if wrong_junk or wrong_market:
            yield (
                f"{item.source[:24]:24} junk={item.junk or '-'}/{'junk' if one.junk else '-'} "
                f"total={total} market={one.market} truth={truth} {one.verdict} | {item.listing.title[:70]}"
            )


def main(argv: Sequence[str] = ()) -> int:
    from bench.report import table

    rules = Rules(min_samples=load_settings().market_min_samples)
    for label, labeled in (("demo", demo_set()), ("captured", captured_set())):
        if not labeled:
            continue
        judged = appraised(labeled, rules)
        if "--misses" in argv:
            for line in misses(labeled, judged):
                print(line)
        print(table(figures_for(label, labeled, rules)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
