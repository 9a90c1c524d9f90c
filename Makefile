# The two README commands: `make run` (the main job on generated demo data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format lock clean dagster spec

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## run: land the demo extracts (generated if the landing folder is empty), build, validate, publish
run: $(STAMP)
	$(BIN)/smw demo

## test: the whole test suite (what CI runs)
test: $(STAMP)
	$(BIN)/python -m pytest

## spec: regenerate the files written from the extract contract (orchestration/lib/spec.py)
spec: $(STAMP)
	$(BIN)/python -m orchestration.lib.spec_codegen

## lint: ruff, then sqlfluff on the dbt models (.sqlfluff; the dbt templater compiles against an
## empty scratch warehouse under test-artifacts/)
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	mkdir -p test-artifacts
	SMW_DBT_TARGET=duckdb SMW_WAREHOUSE_PATH=$(CURDIR)/test-artifacts/lint.duckdb \
	  $(BIN)/sqlfluff lint dbt_project/models

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## dagster: the Dagster UI on the same definitions
dagster: $(STAMP)
	$(BIN)/smw dagster-dev

lock: $(STAMP)
	{ echo "# Exact versions for repeatable installs (pip freeze of a working environment)."; \
	  echo "# Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^smw'; } > requirements.lock

clean:
	rm -rf warehouse landing test-artifacts dbt_project/target dbt_project/logs
