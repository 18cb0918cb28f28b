"""A finding: one reason one observed listing is a deal, with the figures the alert shows.

Its own module because the deal rules make findings and the alerts render them: neither
package should have to import the other to name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from models.tables import DealReason
from scanner.appraisal.market import MarketPrice
from scanner.appraisal.verdict import SUSPICIOUS, Appraisal
from scanner.observed import ObservedListing

_NO_LEVEL = Decimal(0)


@dataclass(frozen=True)
class Finding:
    """One reason one observed listing is a deal, with the figures the alert shows."""

    reason: DealReason
    observed: ObservedListing
    total: Decimal
    appraisal: Appraisal
    drop_from: Decimal | None = None  # for PRICE_DROP: the price it dropped from
    drop_pct: Decimal | None = None  # for PRICE_DROP: % below that price

    @property
    def market(self) -> MarketPrice | None:
        return self.appraisal.market

    @property
    def score(self) -> Decimal | None:
        """% under the market price (negative above it), when there is one."""
        return self.market.percent_under(self.total) if self.market else None

    @property
    def suspicious(self) -> bool:
        return self.appraisal.excluded_reason == SUSPICIOUS

    @property
    def level(self) -> Decimal:
        return self.total if self.reason is DealReason.PRICE_DROP else _NO_LEVEL
