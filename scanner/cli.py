"""The command-line front door. Each command group lives in its own module under
`scanner/commands/` and registers itself; this module only assembles them and turns errors
into one clear line with exit code 2 instead of a traceback."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

import scanner.commands
from models.settings import SettingsError, get_settings
from scanner.commands import UsageError
from scanner.logs import configure_logging

Handler = Callable[[argparse.Namespace], int]


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; on-call people need only the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _assemble() -> tuple[argparse.ArgumentParser, set[str]]:
    parser = OneLineParser(prog="python -m scanner", description="Deal Scout worker and operations commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)
    for module_info in sorted(pkgutil.iter_modules(scanner.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"scanner.commands.{module_info.name}")
        module.register(commands)
    return parser, set(commands.choices)


def build_parser() -> argparse.ArgumentParser:
    return _assemble()[0]


def command_names() -> set[str]:
    """The top-level commands, so tests can check that compose.yaml only names real ones."""
    return _assemble()[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        configure_logging(get_settings(), level="WARNING")  # services raise it to LOG_LEVEL
        return handler(args)
    except (SettingsError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
