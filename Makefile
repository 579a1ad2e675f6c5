# The front door. `make preview` and `make test` bootstrap everything they need on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help preview test acceptance validate lint format engine system-packages benchmark clean

help:
	@echo "make preview   validate every tenant, then pulumi preview of the dev stack"
	@echo "make test      the whole test suite"
	@echo "make acceptance the providers against real servers (DEZKY_ACC_* variables, tests/acceptance/README.md)"
	@echo "make validate  validate tenant files only"
	@echo "make lint      ruff"
	@echo "make benchmark run the benchmark scripts"

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

validate: $(STAMP)
	$(VENV)/bin/dezky validate

engine: $(STAMP)
	@scripts/build-pulumi

system-packages:
	@scripts/install-system-packages

preview: $(STAMP) engine
	$(VENV)/bin/dezky validate
	$(VENV)/bin/dezky preview --stack dev

test: $(STAMP) engine system-packages
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

acceptance: $(STAMP) engine
	DEZKY_ACCEPTANCE=1 $(PY) -m pytest tests/acceptance $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

benchmark: $(STAMP) engine system-packages
	$(PY) benchmarks/validate_tenants.py

clean:
	rm -rf $(VENV) .state .pytest_cache .ruff_cache
