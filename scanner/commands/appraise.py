"""`appraise MARKETPLACE FILE [--query TEXT]`: what Deal Scout would say about each listing of a
saved page, with the page itself as the whole market sample — the same judgement a scan makes.

Prints a JSON array in page order, one object per listing with exactly the keys external_id,
title, total, currency, market_price, sample_size, comparables, verdict and excluded_reason.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from models.settings import get_settings
from scanner.appraisal.listing import appraise_page
from scanner.appraisal.verdict import Appraisal, Candidate, Rules
from scanner.commands import Commands
from scanner.commands.parse import add_saved_page_arguments, print_json, saved_listings


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "appraise", help="judge every listing of a saved page against the page's own comparables; print JSON"
    )
    add_saved_page_arguments(parser)
    parser.add_argument("--query", help="what the page was a search for (off-query items are then excluded)")
    parser.set_defaults(handler=run)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def as_json(item: Candidate, appraisal: Appraisal) -> dict[str, Any]:
    market = appraisal.market
    return {
        "external_id": str(item.ref),
        "title": item.title,
        "total": _decimal(item.total),
        "currency": item.currency or None,
        "market_price": _decimal(market.median if market else None),
        "sample_size": market.sample_size if market else 0,
        "comparables": [str(other.ref) for other in appraisal.comparables],
        "verdict": appraisal.verdict.value,
        "excluded_reason": appraisal.excluded_reason,
    }


def run(args: argparse.Namespace) -> int:
    listings = saved_listings(args)
    if listings is None:
        return 1
    rules = Rules(min_samples=get_settings().market_min_samples)
    print_json([as_json(item, appraisal) for item, appraisal in appraise_page(listings, args.query, rules)])
    return 0
