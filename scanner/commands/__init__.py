"""One module per command group; each exposes `register(commands)`.

`UsageError` lives here, beside the commands that raise it, so that `scanner.cli` imports the
commands and never the other way round.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

#: What `ArgumentParser.add_subparsers()` returns; typeshed names it only by its private class.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # noqa: SLF001  (no public name)


class UsageError(Exception):
    """A command was given something it cannot work with; the message says what."""
