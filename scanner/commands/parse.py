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
from scanner.cli import UsageError
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("parse", help="parse a saved marketplace response and print its listings as JSON")
    parser.add_argument("marketplace", choices=[m.value for m in Marketplace])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", help="the URL the file was saved from (resolves relative links)")
    parser.set_defaults(handler=run)


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
    json.dump([listing.to_json() for listing in listings], sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
