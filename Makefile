# `make run` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format schema bench bench-aggregate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Development server on an embedded SQLite database with seeded synthetic data.
run: $(STAMP)
	HMIS_ENV=development $(BIN)/hmis migrate
	HMIS_ENV=development $(BIN)/hmis seed --if-empty --clients 300 --seed 1
	HMIS_ENV=development $(BIN)/hmis dev-token --all-roles
	HMIS_ENV=development $(BIN)/hmis serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the committed SDL after a schema change (the tests fail when it drifts).
schema: $(STAMP)
	$(BIN)/hmis schema > schema.graphql

test: lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-aggregate: $(STAMP)
	$(BIN)/python -m bench.aggregate

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
