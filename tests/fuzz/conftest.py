"""The fuzz suite's Hypothesis profiles: a few examples per adapter in every run of the suite
(`fuzz-suite`, derandomized so that a run never fails by chance), thousands with `make fuzz`
(`HYPOTHESIS_PROFILE=fuzz`, random and remembered in Hypothesis's example database). The time a
page may take is the scan's parse budget, asserted by the tests, not Hypothesis's deadline."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_INPUT_IS_THE_POINT = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "fuzz-suite",
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=_SLOW_INPUT_IS_THE_POINT,
)
settings.register_profile(
    "fuzz",
    max_examples=5_000,
    deadline=None,
    suppress_health_check=_SLOW_INPUT_IS_THE_POINT,
)

#: The profile the fuzz tests run with (only they: the rest of the suite keeps Hypothesis's default).
FUZZ = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz-suite"))
