"""`search add` and `search list`: manage saved searches from the command line."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError

from models import crud
from models.db import get_engine, session_scope
from models.schemas import SearchInput, field_errors
from models.settings import get_settings
from models.tables import Condition, Marketplace, Search
from scanner.commands import Commands, UsageError
from scanner.table import print_table


def parse_money(text: str) -> Decimal:
    """An argparse type: `Decimal` itself raises InvalidOperation, which argparse would not catch."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: '{text}'") from None


def register(commands: Commands) -> None:
    parser = commands.add_parser("search", help="add or list saved searches")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(parser))

    add = actions.add_parser("add", help="save a new search and print its id")
    add.add_argument("--name", required=True)
    add.add_argument("--query", required=True, help="keywords (for jsonld: the product URL)")
    add.add_argument(
        "--marketplace",
        dest="marketplaces",
        action="append",
        required=True,
        choices=[m.value for m in Marketplace],
        help="repeat for several",
    )
    add.add_argument("--min-price", type=parse_money)
    add.add_argument("--max-price", type=parse_money)
    add.add_argument("--target-price", type=parse_money, help="alert when the total price is at or under this")
    add.add_argument("--currency", default="USD")
    add.add_argument(
        "--exclude", dest="excluded_words", action="append", default=[], help="word to exclude; repeat (at most 50)"
    )
    add.add_argument("--condition", choices=[c.value for c in Condition])
    add.add_argument("--category", help="eBay category id (e.g. 33034) or Craigslist section (e.g. msa)")
    add.add_argument("--location")
    add.add_argument("--radius", dest="radius_miles", type=int, help="miles")
    add.add_argument(
        "--email", dest="alert_recipients", action="append", default=[], help="alert recipient; repeat (at most 20)"
    )
    # no `type=int`: the schema says what is wrong ("at most 43200 minutes (30 days)"), for `1e20` too
    add.add_argument(
        "--interval", dest="interval_minutes", help="minutes between scans (MIN_SCAN_INTERVAL_MINUTES to 30 days)"
    )
    add.add_argument(
        "--market-discount",
        dest="market_discount_pct",
        type=parse_money,
        help="alert when this %% under the market price",
    )
    add.add_argument("--price-drop", dest="price_drop_pct", type=parse_money, help="alert on a price drop of this %%")
    add.add_argument("--alert-new", dest="alert_new_listings", action="store_true", help="alert on every new listing")
    add.add_argument(
        "--include-for-parts",
        action="store_true",
        help="for repairers: broken, for-parts listings can be deals (judged against each other)",
    )
    add.set_defaults(handler=add_search)

    listing = actions.add_parser("list", help="print saved searches")
    listing.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    listing.set_defaults(handler=list_searches)


def add_search(args: argparse.Namespace) -> int:
    settings = get_settings()
    fields = {
        key: value
        for key, value in vars(args).items()
        if key not in ("command", "action", "handler") and value is not None
    }
    fields.setdefault("interval_minutes", settings.default_scan_interval_minutes)
    try:
        data = SearchInput.parse(fields, min_interval_minutes=settings.min_scan_interval_minutes)
    except ValidationError as error:
        problems = "; ".join(f"{field}: {message}" for field, message in field_errors(error).items())
        raise UsageError(problems) from None
    try:
        with session_scope(get_engine(settings)) as session:
            search = crud.create_search(session, data)
            search_id = search.id
    except (DataError, IntegrityError) as error:  # what validation let through: one line, not a traceback
        raise UsageError(f"the database refused the search ({type(error).__name__})") from None
    print(search_id)
    return 0


def _as_json(search: Search) -> dict[str, object]:
    fields: dict[str, object] = json.loads(search.model_dump_json())
    return fields


def list_searches(args: argparse.Namespace) -> int:
    with session_scope(get_engine(get_settings())) as session:
        searches = crud.list_searches(session)
    if args.json:
        print(json.dumps([_as_json(search) for search in searches], indent=2))
        return 0
    print_table(
        ["id", "name", "query", "marketplaces", "max price", "target", "every", "status", "next scan"],
        [
            [
                search.id,
                search.name,
                search.query,
                ",".join(search.marketplaces),
                search.max_price if search.max_price is not None else "",
                search.target_price if search.target_price is not None else "",
                f"{search.interval_minutes} min",
                search.status.value,
                search.next_scan_at.strftime("%Y-%m-%d %H:%M UTC"),
            ]
            for search in searches
        ],
        empty="No searches yet: python -m scanner search add --name NAME --query Q --marketplace demo",
    )
    return 0
