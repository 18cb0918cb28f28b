# Deal Scout: `make run` starts everything on the embedded default, `make test` runs the suite.
# Dependencies: pyproject.toml declares them, uv.lock pins every version; uv installs them into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv comes from PyPI, into .venv itself; pyproject.toml's dev group pins the same version, so
# `uv sync` keeps it (and moves it along with the lock).
UV_VERSION := 0.13.9
SOURCES := models scanner dashboard demo_market tests bench typings

.PHONY: run test fuzz lint lock migrate worker dashboard bench bench-data clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

# Every group (dev includes test and bench); the Docker image takes the runtime dependencies only.
$(STAMP): pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --all-groups
	touch $(STAMP)

# After changing a dependency in pyproject.toml: re-pin uv.lock, then `make` installs it.
lock: | $(BIN)/uv
	$(BIN)/uv lock

# The dashboard listens on this machine only; `make run DASHBOARD_BIND=0.0.0.0` (or the variable in
# the environment) opens it to the network: set DASHBOARD_PASSWORD first (it warns while unset).
DASHBOARD_BIND ?= 127.0.0.1

run: $(STAMP)
	STREAMLIT_SERVER_ADDRESS='$(DASHBOARD_BIND)' $(BIN)/python -m scanner up

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fuzz suite at length: thousands of hostile pages per adapter (`make test` runs a few dozen each).
# No per-test timeout; Hypothesis remembers what it finds in .hypothesis/.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz -o timeout=0 $(PYTEST_ARGS)

# Style, format, types (mypy --strict) and the huey stubs against huey itself.
lint: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest huey --ignore-missing-stub --mypy-config-file pyproject.toml \
		--allowlist typings/huey/stubtest-allowlist.txt

migrate: $(STAMP)
	$(BIN)/python -m scanner migrate

worker: $(STAMP)
	$(BIN)/python -m scanner worker

dashboard: $(STAMP)
	STREAMLIT_SERVER_ADDRESS='$(DASHBOARD_BIND)' $(BIN)/streamlit run dashboard/app.py

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# A large database (1M listings, 10M prices) where `make run` finds it; BENCH_DATA_ARGS="--scale 0.1" for a smaller one.
bench-data: $(STAMP)
	$(BIN)/python -m bench.data $(BENCH_DATA_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache test-output
