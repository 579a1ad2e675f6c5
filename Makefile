# The front door. `make preview` and `make test` bootstrap everything they need on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help preview test acceptance validate lint format engine system-packages benchmark clean sandbox

help:
	@echo "make preview   validate every tenant, then pulumi preview of the dev stack"
	@echo "make test      the whole test suite"
	@echo "make acceptance the providers against real servers (DEZKY_ACC_* variables, tests/acceptance/README.md)"
	@echo "make validate  validate tenant files only"
	@echo "make lint      ruff"
	@echo "make benchmark run the benchmark scripts"
	@echo "make sandbox   start the dev stack's services locally (stop: .venv/bin/dezky sandbox down)"

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

validate: $(STAMP)
	$(VENV)/bin/dezky validate

engine: $(STAMP)
	@scripts/build-pulumi
	@scripts/install-kubernetes-plugin

system-packages:
	@scripts/install-system-packages

preview: $(STAMP) engine
	$(VENV)/bin/dezky validate
	$(VENV)/bin/dezky preview --stack dev

test: $(STAMP) engine system-packages
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# PowerDNS (real, Debian's package) and the Stalwart, Authentik and OCIS emulators on the dev stack's ports and
# credentials, in the background (dezky/sandbox.py); `.venv/bin/dezky sandbox down` stops them.
sandbox: $(STAMP) engine system-packages
	$(VENV)/bin/dezky sandbox up

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
