"""What the scan pipeline hands to the deal rules about each listing a search just saw."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scanner.appraisal.verdict import Candidate
from scanner.marketplaces.base import ListingData


@dataclass(frozen=True)
class ObservedListing:
    listing_id: int
    marketplace: str
    data: ListingData  # what this scan saw
    candidate: Candidate  # the listing as evidence of a price, judged for this search's query
    is_new_match: bool  # the first time this search matched the listing
    previous_total: Decimal | None  # total cost before this scan (of the listing it reposts); None when unknown
    reposted_from: int | None = None  # the earlier listing this one reposts

    @property
    def total(self) -> Decimal | None:
        return self.data.total_cost()
