# Orbit: `make run` (embedded, nothing to install but Python) and `make test` (real servers).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCAL  := deploy/local
PYTEST_ARGS ?=

.PHONY: install run test test-unit lint bench clean schemas

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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

test: install
	@$(WITH_SERVERS) $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# JSON Schemas (docs/events/) and the AsyncAPI document (docs/asyncapi.yaml) from the event models.
schemas: install
	$(BIN)/orbit schemas

# Relay throughput on SQLite and on PostgreSQL + Kafka (started like for `make test`), and
# the SLA scans over 100,000 open requests on PostgreSQL, the notifications latency (event
# commit -> in-app notification against raw Kafka produce -> consume).
bench: install
	@$(WITH_SERVERS) $(BIN)/python -m tests.bench && $(BIN)/python -m tests.bench.scans \
		&& $(BIN)/python -m tests.bench.notifications

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
