# Deal Scout: `make run` starts everything on the embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate worker dashboard bench bench-data clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m scanner up

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check models scanner dashboard tests bench

migrate: $(STAMP)
	$(BIN)/python -m scanner migrate

worker: $(STAMP)
	$(BIN)/python -m scanner worker

dashboard: $(STAMP)
	$(BIN)/streamlit run dashboard/app.py

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# A large database (1M listings, 10M prices) where `make run` finds it; BENCH_DATA_ARGS="--scale 0.1" for a smaller one.
bench-data: $(STAMP)
	$(BIN)/python -m bench.data $(BENCH_DATA_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache test-output
