"""Run `python -m scanner …` inside the test process: `scanner.cli.main(argv)` with the
environment the test gives it, its output captured and its exit code returned, as
`subprocess.run` would, without the 1–2 s of interpreter start and imports per command.

Each call is a fresh "process" as far as the command can tell: settings are read again from
the environment (plus the call's `env`, which is undone afterwards), the database engines it
opened are disposed of, and the log handler `main` installs is removed again, so nothing leaks
into the next call or test. One test in tests/test_cli.py still starts the real
`python -m scanner`, and tests of signals and of several processes keep their subprocesses.

    @pytest.fixture
    def scanner(monkeypatch, capsys) -> Cli:
        return Cli(monkeypatch, capsys, env={"DATABASE_URL": url})

    result = scanner("search", "list", "--json")
    assert result.returncode == 0, result.stderr
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from models.db import dispose_engines
from models.settings import get_settings
from scanner.cli import main


@dataclass(frozen=True)
class Result:
    """What a finished command left: the fields of `subprocess.CompletedProcess` tests read."""

    returncode: int
    stdout: str
    stderr: str


def _exit_code(code: object) -> int:
    """The status `raise SystemExit(code)` gives a process (argparse exits on --help and bad usage)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


class Cli:
    """`Cli(monkeypatch, capsys, env={...})("search", "list")`: run one command in process with
    the test's environment plus `env` (and the call's own `env`); returns a `Result`."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        self.env = dict(env or {})

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        root = logging.getLogger()
        handlers, levels = list(root.handlers), _levels()
        self._capsys.readouterr()  # what the test printed before is not the command's output
        with self._monkeypatch.context() as patch:
            for name, value in {**self.env, **(env or {})}.items():
                patch.setenv(name, value)
            get_settings.cache_clear()
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = _exit_code(exit_.code)
            finally:
                root.handlers[:] = handlers  # `main` installs one on the root logger, on captured stderr
                for logger, level in levels.items():
                    logger.setLevel(level)
                dispose_engines()  # a process that ends leaves no pooled connections behind
                get_settings.cache_clear()
        out, err = self._capsys.readouterr()
        return Result(code, out, err)


def _levels() -> dict[logging.Logger, int]:
    """The levels `scanner.logs.configure_logging` sets, to put them back afterwards."""
    loggers = [logging.getLogger(), logging.getLogger("alembic.runtime.migration")]
    return {logger: logger.level for logger in loggers}
