"""The deal rules: which listings a scan just saw are worth an alert, and why.

Each listing is first appraised (`scanner.appraisal`) against comparable listings of the same
product from everything stored: junk (for parts, accessories, placeholder prices, wanted posts,
lots, other products) is never a deal unless the search asks for broken units; a total under 30 %
of its market is too good to be true and is recorded as suspicious — shown apart, never alerted.

Then a listing is a deal for a search when its total cost (price plus known shipping) is at or
under the search's target price, at least X% under its market price, at least Y% (and a
minimum amount) under the last price it was alerted at for this search — or, before any alert,
under the price the search saw last — or, when the search asks for it, simply new. A repost of
a listing (`scanner.reposts`) inherits what the search alerted about it. Each (search,
listing, reason, level) is a deal once: the unique constraint on `deal` decides, so two workers
scanning at once cannot alert twice. A price drop's level is its new price, so every new low
alerts and a price that goes up and back down to an alerted level does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, bindparam, col, select

from models.bulk import insert_rows
from models.settings import Settings
from models.tables import Deal, DealReason, JunkKind, Search, table_of
from scanner.alerts.outbox import queue_alerts
from scanner.appraisal.market import percent_of
from scanner.appraisal.verdict import DEFAULT_DISCOUNT_PCT, SUSPICIOUS, Appraisal, Pool, Rules, Verdict, appraise
from scanner.comparables import stored_candidates
from scanner.findings import Finding
from scanner.observed import ObservedListing

#: The comparables kept on a deal for its "why"; the sample size counts them all.
COMPARABLES_KEPT = 50


def _is_buyable(item: ObservedListing, now: datetime) -> bool:
    """Only a priced, active listing that has not ended can be a deal."""
    data = item.data
    return item.total is not None and data.status == "active" and (data.ends_at is None or data.ends_at > now)


def rules_of(search: Search, settings: Settings) -> Rules:
    """What this search counts as a deal, for the appraisal."""
    allowed = frozenset({JunkKind.FOR_PARTS}) if search.include_for_parts else frozenset()
    discount = search.market_discount_pct if search.market_discount_pct is not None else DEFAULT_DISCOUNT_PCT
    return Rules(min_samples=settings.market_min_samples, discount_pct=discount, allowed_junk=allowed)


def evaluate(
    search: Search,
    item: ObservedListing,
    appraisal: Appraisal,
    alerted: AlertHistory,
    *,
    baseline: bool,
    settings: Settings,
) -> list[Finding]:
    """Every rule of `search` that `item` (a buyable, appraised listing) meets and that was not
    alerted already (for a repost: as the listing it reposts)."""
    total = item.total
    assert total is not None, "evaluate() is only called for priced listings"
    if appraisal.verdict is Verdict.EXCLUDED and appraisal.excluded_reason != SUSPICIOUS:
        return []
    return [
        finding
        for finding in _rules_met(search, item, total, appraisal, alerted, baseline, settings)
        if finding.reason is DealReason.PRICE_DROP or finding.reason not in alerted.reasons
    ]


def _rules_met(
    search: Search,
    item: ObservedListing,
    total: Decimal,
    appraisal: Appraisal,
    alerted: AlertHistory,
    baseline: bool,
    settings: Settings,
) -> list[Finding]:
    findings: list[Finding] = []
    if search.target_price is not None and item.data.currency == search.currency and total <= search.target_price:
        findings.append(Finding(DealReason.TARGET_PRICE, item, total, appraisal))
    market = appraisal.market
    if search.market_discount_pct is not None and market is not None:
        under = market.percent_under(total)
        if under is not None and under >= search.market_discount_pct:
            findings.append(Finding(DealReason.BELOW_MARKET, item, total, appraisal))
    reference = alerted.last_total if alerted.last_total is not None else item.previous_total
    if search.price_drop_pct is not None and not item.is_new_match and reference is not None and reference > 0:
        drop = reference - total
        drop_pct = percent_of(drop, reference)
        if drop > 0 and drop >= settings.price_drop_min_amount and drop_pct >= search.price_drop_pct:
            findings.append(Finding(DealReason.PRICE_DROP, item, total, appraisal, reference, drop_pct))
    if search.alert_new_listings and item.is_new_match and not baseline:
        findings.append(Finding(DealReason.NEW_LISTING, item, total, appraisal))
    return findings


@dataclass
class AlertHistory:
    """What a search already alerted about one listing (and the listing it reposts)."""

    last_total: Decimal | None = None  # the total at the latest alert
    reasons: set[DealReason] = field(default_factory=set)


_ALERTED = (
    select(col(Deal.listing_id), col(Deal.reason), col(Deal.total_price))
    .where(
        col(Deal.search_id) == bindparam("search_id"),
        col(Deal.listing_id).in_(bindparam("listing_ids", expanding=True)),
        col(Deal.suspicious).is_(False),
    )
    .order_by(col(Deal.detected_at), col(Deal.id))
)


def alert_history(session: Session, search_id: int, items: Sequence[ObservedListing]) -> dict[int, AlertHistory]:
    """Listing id → what this search alerted about it, or about the listing it reposts."""
    owner = {item.listing_id: item.listing_id for item in items}
    owner.update({item.reposted_from: item.listing_id for item in items if item.reposted_from is not None})
    history: dict[int, AlertHistory] = {}
    if not owner:
        return history
    alerts = session.exec(_ALERTED, params={"search_id": search_id, "listing_ids": list(owner)})
    for listing_id, reason, total in alerts:
        seen = history.setdefault(owner[listing_id], AlertHistory())
        seen.last_total = total  # rows come oldest first
        seen.reasons.add(DealReason(reason))
    return history


def appraise_observed(
    session: Session, search: Search, items: Sequence[ObservedListing], *, now: datetime, settings: Settings
) -> dict[int, Appraisal]:
    """Listing id → its appraisal against comparables from every stored listing in the window."""
    rules = rules_of(search, settings)
    since = now - timedelta(days=settings.market_window_days)
    products = [
        (key, currency)
        for item in items
        if (key := item.candidate.identity.key) and (currency := item.candidate.currency)
    ]
    pools = {product: Pool(candidates) for product, candidates in stored_candidates(session, products, since).items()}
    nothing = Pool(())  # a title without a product key has no comparables
    return {
        item.listing_id: appraise(
            item.candidate,
            pools.get((item.candidate.identity.key or "", item.candidate.currency or ""), nothing),
            rules,
        )
        for item in items
    }


def _deal_row(search_id: int, finding: Finding, now: datetime) -> dict[str, object]:
    market = finding.market
    return {
        "search_id": search_id,
        "listing_id": finding.observed.listing_id,
        "reason": finding.reason,
        "level": finding.level,
        "total_price": finding.total,
        "currency": finding.observed.data.currency,
        "score": finding.score,
        "market_price": market.median if market else None,
        "sample_size": market.sample_size if market else None,
        "confidence": market.confidence if market else None,
        "comparables": [other.ref for other in finding.appraisal.comparables[:COMPARABLES_KEPT]] if market else None,
        "suspicious": finding.suspicious,
        "detected_at": now,
        "dismissed": False,
    }


def find_deals(
    session: Session,
    search: Search,
    observed: Sequence[ObservedListing],
    *,
    baseline: bool,
    now: datetime,
    settings: Settings,
) -> list[Deal]:
    """Record the deals among this scan's listings and queue their alerts; return the new deals.

    Runs inside the scan's transaction, after its listings and matches are flushed, and never
    commits. `baseline` (the search's first scan) suppresses new-listing deals, so a new search
    does not flood the inbox. Suspicious deals are recorded but never alerted.
    """
    assert search.id is not None, "find_deals needs a saved search"
    buyable = [item for item in observed if _is_buyable(item, now)]
    appraisals = appraise_observed(session, search, buyable, now=now, settings=settings)
    alerted = alert_history(session, search.id, buyable)
    findings: dict[tuple[int, DealReason, Decimal], Finding] = {}
    for item in buyable:
        found = evaluate(
            search,
            item,
            appraisals[item.listing_id],
            alerted.get(item.listing_id, AlertHistory()),
            baseline=baseline,
            settings=settings,
        )
        for finding in found:
            findings.setdefault((item.listing_id, finding.reason, finding.level), finding)
    inserted = insert_rows(
        session,
        table_of(Deal),
        [_deal_row(search.id, finding, now) for finding in findings.values()],
        conflict=("search_id", "listing_id", "reason", "level"),
        returning=(col(Deal.id), col(Deal.listing_id), col(Deal.reason), col(Deal.level)),
    )
    if not inserted:
        return []
    new = {(listing_id, DealReason(reason), level): deal_id for deal_id, listing_id, reason, level in inserted}
    alerts = [(deal_id, findings[key]) for key, deal_id in new.items() if not findings[key].suspicious]
    queue_alerts(session, search, alerts, now=now)
    return list(session.exec(select(Deal).where(col(Deal.id).in_(new.values())).order_by(col(Deal.id))))
