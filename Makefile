# Entry points of the tatacliq_connector repository. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra arguments for scripts/run_odoo_tests.py, e.g. ODOO_TEST_ARGS="--keep".
ODOO_TEST_ARGS ?=
# Extra arguments for each bench/bench_*.py, e.g. BENCH_ARGS="--orders 200".
BENCH_ARGS ?=
SANDBOX_PORT := 8870

# Odoo's requirements.txt when an Odoo 18.0 is found (ODOO_SRC, an importable
# odoo, or /opt/odoo-18.0), else empty. The stamp name records which Odoo the
# venv was filled for, so unpacking Odoo later triggers a new install.
ODOO_REQUIREMENTS := $(shell $(PYTHON) scripts/odoo_env.py requirements)
ODOO_TAG := $(if $(ODOO_REQUIREMENTS),odoo-$(shell printf '%s' '$(ODOO_REQUIREMENTS)' | md5sum | cut -c1-8),no-odoo)
STAMP := $(VENV)/.installed-$(ODOO_TAG)

.PHONY: help venv test test-python test-odoo lint format demo sandbox bench

help:
	@echo "make venv      create .venv with Odoo's and this project's requirements"
	@echo "make demo      run the sandbox marketplace and an Odoo demo database"
	@echo "make test      ruff, pytest tests/, then the Odoo suite (skipped without Odoo)"
	@echo "make sandbox   run the sandbox marketplace alone on 127.0.0.1:$(SANDBOX_PORT)"
	@echo "make bench     run every bench/bench_*.py (BENCH_ARGS=... passes options)"
	@echo "make lint      ruff check and ruff format --check"
	@echo "make format    apply ruff fixes and formatting"

venv: $(STAMP)

# setuptools 81 dropped pkg_resources, which older sdists among Odoo's pinned
# requirements still import in their setup.py, so their builds get <81.
$(STAMP): requirements.txt pyproject.toml $(ODOO_REQUIREMENTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@set -euo pipefail; \
	constraints_dir=$$(mktemp -d); \
	trap 'rm -rf "$$constraints_dir"' EXIT; \
	echo 'setuptools<81' > "$$constraints_dir/build-constraints.txt"; \
	export PIP_BUILD_CONSTRAINT="$$constraints_dir/build-constraints.txt"; \
	if [ -n "$(ODOO_REQUIREMENTS)" ]; then \
		echo "+ pip install -r $(ODOO_REQUIREMENTS)"; \
		$(BIN)/python -m pip install --quiet -r "$(ODOO_REQUIREMENTS)"; \
	else \
		echo "No Odoo 18.0 found: installing this project's requirements only."; \
	fi; \
	echo "+ pip install -r requirements.txt"; \
	$(BIN)/python -m pip install --quiet -r requirements.txt; \
	echo "+ pip install -e ."; \
	$(BIN)/python -m pip install --quiet -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Every step runs even when an earlier one fails, so one run shows all
# problems; the exit code is non-zero when any step failed.
test: venv
	@failed=""; \
	echo "+ ruff check ."; \
	$(BIN)/ruff check . || failed="$$failed ruff-check"; \
	echo "+ ruff format --check ."; \
	$(BIN)/ruff format --check . || failed="$$failed ruff-format"; \
	echo "+ pytest tests"; \
	$(BIN)/pytest tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAILED: pytest collected no test in tests/"; fi; \
	if [ $$rc -ne 0 ]; then failed="$$failed pytest"; fi; \
	echo "+ scripts/run_odoo_tests.py $(ODOO_TEST_ARGS)"; \
	$(BIN)/python scripts/run_odoo_tests.py $(ODOO_TEST_ARGS) || failed="$$failed odoo"; \
	if [ -n "$$failed" ]; then echo "make test: failed steps:$$failed"; exit 1; fi

test-python: venv
	$(BIN)/pytest tests

test-odoo: venv
	$(BIN)/python scripts/run_odoo_tests.py $(ODOO_TEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: venv
	$(BIN)/python scripts/demo.py

sandbox: venv
	$(BIN)/python -m tatacliq_sandbox --port $(SANDBOX_PORT) --generate 40

# Runs every bench/bench_*.py with its defaults; BENCH_ARGS passes options.
bench: venv
	@set -e; for script in bench/bench_*.py; do \
		[ -e "$$script" ] || { echo "No bench/bench_*.py to run."; exit 1; }; \
		echo "+ $(BIN)/python $$script $(BENCH_ARGS)"; \
		$(BIN)/python "$$script" $(BENCH_ARGS); \
	done
