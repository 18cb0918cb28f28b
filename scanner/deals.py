"""The deal rules: which listings a scan just saw are worth an alert, and why.

A listing is a deal for a search when its total cost (price plus known shipping) is at or under
the search's target price, at least X% under the market price of comparable listings, dropped by
at least Y% (and a minimum amount) since the search last saw it, or — when the search asks for
it — simply new. Each (search, listing, reason) is a deal once: the unique constraint on `deal`
decides, so two workers scanning at once cannot alert twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, bindparam, func
from sqlmodel import Session, col, select

from models.bulk import insert_rows
from models.settings import Settings
from models.tables import Deal, DealReason, Listing, Search
from scanner.alerts.outbox import queue_alerts
from scanner.matches import per_match
from scanner.observed import ObservedListing

_CENTS = Decimal("0.01")
_PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class MarketPrice:
    """The median total price of a search's comparable listings, and how many it is based on."""

    median: Decimal
    sample_size: int
    currency: str

    def percent_under(self, total: Decimal) -> Decimal | None:
        """How far `total` is under the market, in percent (negative when above it)."""
        if self.median <= 0:
            return None
        return _percent(self.median - total, self.median)


@dataclass(frozen=True)
class Finding:
    """One reason one observed listing is a deal, with the figures the alert shows."""

    reason: DealReason
    observed: ObservedListing
    total: Decimal
    market: MarketPrice | None
    score: Decimal | None  # % under the market price, when there is one
    drop_pct: Decimal | None = None  # for PRICE_DROP: % below the previous total


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(_PERCENT)


def _middle_of_market() -> Select[tuple[Decimal, int]]:
    """The one or two middle totals of a search's comparables, and how many there are.

    Built once, with bind parameters: constructing the statement anew on every scan cost more
    client time than the database took to run it."""
    totals = per_match(
        bindparam("search_id"),
        Listing.price + func.coalesce(Listing.shipping, 0),
        Listing.currency == bindparam("currency"),
        col(Listing.price).is_not(None),
        Listing.last_seen_at >= bindparam("since"),
    )
    known = (
        select(
            totals.c.value,
            func.row_number().over(order_by=totals.c.value).label("position"),
            func.count().over().label("count"),
        )
        .where(totals.c.value.is_not(None))
        .subquery()
    )
    middle = known.c.position.in_([(known.c.count + 1) // 2, (known.c.count + 2) // 2])
    return select(known.c.value, known.c.count).where(middle)


_MIDDLE_OF_MARKET = _middle_of_market()


def market_price(
    session: Session, search_id: int, currency: str, now: datetime, settings: Settings
) -> MarketPrice | None:
    """The market price in `currency` for a search, or None when there are too few samples.

    Comparables are the listings the search matched that were seen in the last
    `market_window_days` — ended and sold ones included, as the best stand-in for sale prices.
    The database counts them and returns only the middle one or two totals, so a search with
    thousands of listings costs one small query; the median stays an exact Decimal on both
    backends (PostgreSQL's percentile_cont would go through double precision).
    """
    since = now - timedelta(days=settings.market_window_days)
    middle = session.execute(_MIDDLE_OF_MARKET, {"search_id": search_id, "currency": currency, "since": since}).all()
    count = middle[0].count if middle else 0
    if count < settings.market_min_samples:
        return None
    median = (sum((row.value for row in middle), Decimal(0)) / len(middle)).quantize(_CENTS)
    return MarketPrice(median=median, sample_size=count, currency=currency)


def _is_buyable(item: ObservedListing, now: datetime) -> bool:
    """Only a priced, active listing that has not ended can be a deal."""
    data = item.data
    return item.total is not None and data.status == "active" and (data.ends_at is None or data.ends_at > now)


def evaluate(
    search: Search, item: ObservedListing, market: MarketPrice | None, *, baseline: bool, settings: Settings
) -> list[Finding]:
    """Every rule of `search` that `item` (a buyable listing) meets."""
    total = item.total
    assert total is not None, "evaluate() is only called for priced listings"
    score = market.percent_under(total) if market else None
    findings: list[Finding] = []

    def found(reason: DealReason, drop_pct: Decimal | None = None) -> None:
        findings.append(Finding(reason, item, total, market, score, drop_pct))

    if search.target_price is not None and item.data.currency == search.currency and total <= search.target_price:
        found(DealReason.TARGET_PRICE)
    if search.market_discount_pct is not None and score is not None and score >= search.market_discount_pct:
        found(DealReason.BELOW_MARKET)
    previous = item.previous_total
    if search.price_drop_pct is not None and not item.is_new_match and previous is not None and previous > 0:
        drop = previous - total
        drop_pct = _percent(drop, previous)
        if drop > 0 and drop >= settings.price_drop_min_amount and drop_pct >= search.price_drop_pct:
            found(DealReason.PRICE_DROP, drop_pct)
    if search.alert_new_listings and item.is_new_match and not baseline:
        found(DealReason.NEW_LISTING)
    return findings


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
    does not flood the inbox.
    """
    assert search.id is not None, "find_deals needs a saved search"
    buyable = [item for item in observed if _is_buyable(item, now)]
    markets = {
        currency: market_price(session, search.id, currency, now, settings)
        for currency in dict.fromkeys(item.data.currency for item in buyable)
    }
    findings: dict[tuple[int, DealReason], Finding] = {}
    for item in buyable:
        for finding in evaluate(search, item, markets[item.data.currency], baseline=baseline, settings=settings):
            findings.setdefault((item.listing_id, finding.reason), finding)
    inserted = insert_rows(
        session,
        Deal.__table__,  # type: ignore[arg-type]
        [
            {
                "search_id": search.id,
                "listing_id": finding.observed.listing_id,
                "reason": finding.reason,
                "total_price": finding.total,
                "currency": finding.observed.data.currency,
                "score": finding.score,
                "market_price": finding.market.median if finding.market else None,
                "sample_size": finding.market.sample_size if finding.market else None,
                "detected_at": now,
                "dismissed": False,
            }
            for finding in findings.values()
        ],
        conflict=("search_id", "listing_id", "reason"),
        returning=(col(Deal.id), col(Deal.listing_id), col(Deal.reason)),
    )
    if not inserted:
        return []
    new = {(listing_id, DealReason(reason)): deal_id for deal_id, listing_id, reason in inserted}
    queue_alerts(session, search, [(deal_id, findings[key]) for key, deal_id in new.items()], now=now)
    return list(session.exec(select(Deal).where(col(Deal.id).in_(new.values())).order_by(col(Deal.id))))
