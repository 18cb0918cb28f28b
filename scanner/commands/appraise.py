"""`appraise MARKETPLACE FILE [--query TEXT]`: what Deal Scout would say about each listing of a
saved page, with the page itself as the whole market sample — the same judgement a scan makes.

Prints a JSON array in page order, one object per listing with exactly the keys external_id,
title, total, currency, market_price, sample_size, comparables, verdict and excluded_reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from models.settings import get_settings
from models.tables import Marketplace
from scanner.appraisal.listing import appraise_page
from scanner.appraisal.verdict import Appraisal, Candidate, Rules
from scanner.cli import UsageError
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "appraise", help="judge every listing of a saved page against the page's own comparables; print JSON"
    )
    parser.add_argument("marketplace", choices=[m.value for m in Marketplace])
    parser.add_argument("file", type=Path)
    parser.add_argument("--query", help="what the page was a search for (off-query items are then excluded)")
    parser.add_argument("--url", help="the URL the file was saved from (resolves relative links)")
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
    try:
        body = args.file.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    try:
        listings = get_adapter(args.marketplace).parse(body, source_url=args.url)
    except ScanError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 1
    rules = Rules(min_samples=get_settings().market_min_samples)
    judged = appraise_page(listings, args.query, rules)
    json.dump([as_json(item, appraisal) for item, appraisal in judged], sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
