# drafter: `make demo` drafts a reply to a sample ticket with the bundled local model;
# `make test` sets up the environment and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STORE := $(CURDIR)/.demo/drafter.db

.PHONY: setup demo test check cassettes bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,local]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	DRAFTER_STORE=$(DEMO_STORE) $(BIN)/draft tickets import examples/tickets/*
	DRAFTER_STORE=$(DEMO_STORE) $(BIN)/draft reply --ticket 1

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
