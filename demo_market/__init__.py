"""A local marketplace so a fresh install has live data with no internet and no credentials.

`python -m scanner demo-market` serves it; tests and other commands start it in-process:

    from demo_market import DemoMarket
    with DemoMarket(clock=lambda: moment) as market:   # port 0: a free port
        requests.get(f"{market.url}/search?q=guitar")

`catalogue` is the pure listing model, `pages` and `pictures` render it, `server` serves it.
"""

from demo_market.server import FAIL_MODES, DemoMarket, FailMode

__all__ = ["FAIL_MODES", "DemoMarket", "FailMode"]
