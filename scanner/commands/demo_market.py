"""`demo-market`: serve the local demo marketplace the `demo` adapter reads.

Host and port default to DEMO_MARKET_URL, so the adapter finds the market where it looks.
Failures can be switched on for a fraction of searches to watch retries, the breaker and the
markup checks at work. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import signal
from types import FrameType
from urllib.parse import urlsplit

from demo_market import FAIL_MODES, DemoMarket
from models.settings import get_settings
from scanner.commands import Commands, UsageError
from scanner.logs import configure_logging


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: '{text}'") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _not_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative: {text}")
    return value


def register(commands: Commands) -> None:
    parser = commands.add_parser("demo-market", help="serve the local demo marketplace (offline sample data)")
    parser.add_argument("--host", help="address to listen on (default: the host of DEMO_MARKET_URL)")
    parser.add_argument("--port", type=_not_negative, help="port (default: the port of DEMO_MARKET_URL)")
    parser.add_argument("--latency-ms", type=_not_negative, default=0, help="delay every search by this much")
    parser.add_argument("--fail-rate", type=_fraction, default=0.0, help="fraction of searches that fail (0-1)")
    parser.add_argument("--fail-mode", choices=FAIL_MODES, help="how those searches fail")
    parser.add_argument("--seed", type=int, default=0, help="another seed, another (equally stable) market")
    parser.set_defaults(handler=run)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM (docker stop, a supervisor) stops the market the way Ctrl-C does."""
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    if args.fail_rate and args.fail_mode is None:
        raise UsageError("--fail-rate needs --fail-mode (one of " + ", ".join(FAIL_MODES) + ")")
    settings = get_settings()
    configure_logging(settings)
    configured = urlsplit(settings.demo_market_url)
    host = args.host or configured.hostname or "127.0.0.1"
    port = args.port if args.port is not None else configured.port or 80
    try:
        market = DemoMarket(
            host,
            port,
            seed=args.seed,
            latency=args.latency_ms / 1000,
            fail_rate=args.fail_rate,
            fail_mode=args.fail_mode,
        )
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    failing = f", {args.fail_rate:.0%} of searches fail with {args.fail_mode}" if args.fail_rate else ""
    print(f"Demo market on {market.url} (try {market.url}/search?q=guitar){failing}. Ctrl-C stops it.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        market.serve_forever()
    except KeyboardInterrupt:
        print("\ndemo-market: stopping…", flush=True)
    finally:
        market.stop()
    return 0
