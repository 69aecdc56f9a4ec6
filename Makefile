# `make run` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format schema bench bench-peer bench-aggregate fuzz load docker clean

# Where `make run` serves: `make run PORT=8001`, `make run HOST=0.0.0.0` (every interface).
HOST ?= 127.0.0.1
PORT ?= 8000

$(STAMP): pyproject.toml
	@echo "installing hmis and its pinned dependencies into $(VENV) (a minute or two the first time)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Development server on an embedded SQLite database with seeded synthetic data.
run: $(STAMP)
	HMIS_ENV=development $(BIN)/hmis migrate
	HMIS_ENV=development $(BIN)/hmis seed --if-empty --clients 300 --seed 1
	HMIS_ENV=development $(BIN)/hmis dev-token --all-roles
	HMIS_ENV=development $(BIN)/hmis serve --host $(HOST) --port $(PORT)

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

# This API next to PostGraphile 5.1.5 (installed by npm into var/peer/) on the benchmark
# database of `make bench`, read-only, over HTTP, interleaved: bench/README.md.
bench-peer: $(STAMP)
	$(BIN)/python -m bench.peer

# Mixed reads and writes by several roles against `hmis serve --workers 2` on PostgreSQL
# (bench_i12 by default) for 60 s; then the audit log and every acknowledged write are checked.
load: $(STAMP)
	$(BIN)/python -m bench.mixed_load

# The suite's schema-driven fuzz test, long: `make fuzz FUZZ_OPERATIONS=50000 FUZZ_SEED=7`
# (on PostgreSQL too when HMIS_TEST_DATABASE_URL is set). Prints operations, 5xx, slowest.
FUZZ_OPERATIONS ?= 20000
FUZZ_SEED ?= 1
fuzz: $(STAMP)
	HMIS_FUZZ_OPERATIONS=$(FUZZ_OPERATIONS) HMIS_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest -q -s tests/test_fuzz.py

bench-aggregate: $(STAMP)
	$(BIN)/python -m bench.aggregate

# The container image (Dockerfile): `make docker` builds it as hmis:latest (docs/deployment.md).
# Without Docker Hub: `deploy/build-base-image.sh` (as root), then
# `make docker BASE_IMAGE=hmis-base:bookworm`. DOCKER_BUILD_FLAGS adds options to docker build.
BASE_IMAGE ?= python:3.11-slim
DOCKER_BUILD_FLAGS ?=
docker:
	docker build $(DOCKER_BUILD_FLAGS) --build-arg BASE_IMAGE=$(BASE_IMAGE) \
		-t hmis:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml) -t hmis:latest .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
