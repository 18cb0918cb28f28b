"""`parse MARKETPLACE FILE`: print the listings of a saved response as a JSON array.

The adapter detects which of its formats the file is in; a page it cannot read is reported
with its error class and exit code 1, never as an empty array.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.tables import Marketplace
from scanner.commands import Commands, UsageError
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData


def register(commands: Commands) -> None:
    parser = commands.add_parser("parse", help="parse a saved marketplace response and print its listings as JSON")
    add_saved_page_arguments(parser)
    parser.set_defaults(handler=run)


def add_saved_page_arguments(parser: argparse.ArgumentParser) -> None:
    """MARKETPLACE FILE [--url URL]: what every command reading a saved response takes."""
    parser.add_argument("marketplace", choices=[m.value for m in Marketplace])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", help="the URL the file was saved from (resolves relative links)")


def saved_listings(args: argparse.Namespace) -> list[ListingData] | None:
    """The listings of the saved response; None, with the error class printed, when the adapter
    cannot read it (never an empty list passed off as "no results")."""
    try:
        body = args.file.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    try:
        return get_adapter(args.marketplace).parse(body, source_url=args.url)
    except ScanError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return None


def print_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def run(args: argparse.Namespace) -> int:
    listings = saved_listings(args)
    if listings is None:
        return 1
    print_json([listing.to_json() for listing in listings])
    return 0
