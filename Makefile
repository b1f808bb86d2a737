# Orbit: `make run` (embedded, nothing to install but Python) and `make test` (real servers).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCAL  := deploy/local
PYTEST_ARGS ?=

.PHONY: install run test test-clock test-clock-all test-unit lint bench clean schemas openapi lock demo

install: $(STAMP)

# The pinned versions of requirements-dev.lock (`make lock`), then the project itself
# (editable) without resolving anything: every install of one commit gets the same versions.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Refresh the lock files from pyproject.toml (uv, from PyPI), keeping the pinned versions
# that still fit; `make lock UPGRADE=--upgrade` takes the newest allowed. Commit both.
UPGRADE ?=
LOCK_ARGS = --universal --python-version 3.11 --custom-compile-command "make lock" -q $(UPGRADE)
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra otel $(LOCK_ARGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_ARGS) -o requirements-dev.lock

run: install
	$(BIN)/orbit run --host 127.0.0.1 --port 8000

# Starts PostgreSQL and Kafka (deploy/local), runs the whole suite, stops them even when the
# tests fail. Set ORBIT_TEST_DATABASE_URL and ORBIT_TEST_KAFKA_BOOTSTRAP to use your own.
WITH_SERVERS = set -e; \
	if [ -z "$$ORBIT_TEST_DATABASE_URL" ] || [ -z "$$ORBIT_TEST_KAFKA_BOOTSTRAP" ]; then \
	  trap 'bash $(LOCAL)/down.sh' EXIT; \
	  bash $(LOCAL)/up.sh; \
	  set -a; . "$${ORBIT_LOCAL_DIR:-/var/tmp/orbit-local}/env"; set +a; \
	fi;

# Chromium for the browser test and LibreOffice Calc for the spreadsheet test come from
# Debian too (deploy/local/chromium.sh).
test: install
	@bash $(LOCAL)/chromium.sh install
	@$(WITH_SERVERS) $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The suite on a moved clock: every process (PostgreSQL, Kafka, pytest and what it starts) under
# libfaketime, on servers of its own (deploy/local/clock.sh; docs/operations.md "Tested on any
# day"). CLOCK: +400d, saturday (the next Saturday 23:30 UTC), dst (the next last Sunday of
# March 01:30 UTC) or @YYYY-MM-DD HH:MM:SS. tests/faults is left out (see the docs).
CLOCK ?= +400d
CLOCK_VARIANTS := +400d saturday dst
test-clock: install
	@bash $(LOCAL)/clock.sh '$(CLOCK)' $(MAKE) --no-print-directory test \
	  PYTEST_ARGS='--ignore=tests/faults $(PYTEST_ARGS)'

test-clock-all: install
	@set -e; for variant in $(CLOCK_VARIANTS); do \
	  $(MAKE) --no-print-directory test-clock CLOCK=$$variant; done

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# JSON Schemas (docs/events/) and the AsyncAPI document (docs/asyncapi.yaml) from the event models.
schemas: install
	$(BIN)/orbit schemas

# docs/openapi.json (all services) and the reference half of docs/api.md from the code.
openapi: install
	$(BIN)/orbit openapi

# A realistic portfolio in a running Orbit (make run in another terminal), through its API.
DEMO_URL ?= http://127.0.0.1:8000
demo: install
	$(BIN)/orbit demo --url $(DEMO_URL)

# Every benchmark against its baseline in one run (tests/bench/__main__.py; PostgreSQL + Kafka
# started like for `make test`), appended to docs/benchmarks.md with one table of every goal.
# BENCH_SECTIONS picks sections, BENCH_SECONDS / BENCH_MIXED_SECONDS shorten the wrk runs,
# BENCH_REPORT writes elsewhere (a development run).
bench: install
	@$(WITH_SERVERS) $(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
