# One command runner for people, pre-commit and CI.
# `make demo` sets everything up and runs the demo; `make test` runs every test.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PKGS    := wire crm_bridge ivr acd ivr_acd ivr_acd_dev
STAMP   := $(VENV)/.installed

.PHONY: setup system-deps venv sandbox format lint typecheck unit integration system test bench demo up down clean

setup: system-deps venv sandbox

system-deps:
	./scripts/install-system-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e ".[sim,dev,speech]"
	touch $(STAMP)

venv: $(STAMP)

sandbox: venv
	$(BIN)/ivr-acd sandbox build

format: venv
	$(BIN)/ruff format $(PKGS) tests bench
	$(BIN)/ruff check --fix $(PKGS) tests bench

lint: venv
	$(BIN)/ruff format --check $(PKGS) tests bench
	$(BIN)/ruff check $(PKGS) tests bench
	$(BIN)/lint-imports --no-cache

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -m unit -q

integration: venv
	$(BIN)/pytest -m integration -q

system: setup
	$(BIN)/pytest -m system -q

# Every test: static checks, then all tiers in one run (one Asterisk sandbox per session).
test: setup lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider

# BENCH_ARGS, e.g. `make bench BENCH_ARGS=--quick` or `BENCH_ARGS="--only agi_load"`.
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

demo: setup
	$(BIN)/ivr-acd demo

up: setup
	$(BIN)/ivr-acd up

down: venv
	$(BIN)/ivr-acd down

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
