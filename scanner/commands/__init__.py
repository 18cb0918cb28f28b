"""One module per command group; each exposes `register(commands)`.

`UsageError` lives here, beside the commands that raise it, so that `scanner.cli` imports the
commands and never the other way round.
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol


class Commands(Protocol):
    """What a command group needs of `ArgumentParser.add_subparsers()`'s result (whose class
    argparse keeps private): a way to add its own sub-parser."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class UsageError(Exception):
    """A command was given something it cannot work with; the message says what."""
