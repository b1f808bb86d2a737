"""Schemathesis over the merged OpenAPI: every operation with a few generated requests (as
the admin), against a real ``orbit run`` process on SQLite, and against the four production
processes (``orbit serve <service>`` on PostgreSQL and Kafka). No 5xx, and every response
matches its documented status, content type and schema (problem+json for every error).

Bounded so ``make test`` stays fast: ``MAX_EXAMPLES`` requests per operation on the embedded
server, ``PRODUCTION_MAX_EXAMPLES`` on the production processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.apidoc import OPENAPI_FILE
from services.embedded import embedded_app, standalone_app
from shared.settings import SERVICES
from tests.support.apps import ADMIN, TEST_SECRET, test_settings
from tests.support.net import free_port
from tests.support.processes import (
    base_env,
    four_databases,
    migrate_all,
    serving,
)
from tests.support.servers import ROOT, kafka_bootstrap

MAX_EXAMPLES = 5
# What must hold; "a schema-valid request is accepted" does not (a random head_id is a
# 422 for the business rules, rightly).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(
    embedded_app(test_settings(data_dir="/nonexistent-never-started")).openapi()
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data: Path = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    env = os.environ | {
        "ORBIT_ENV": "test",
        "ORBIT_JWT_SECRET": TEST_SECRET,
        "ORBIT_DATA_DIR": str(data),
        "ORBIT_LOG_LEVEL": "WARNING",
    }
    for name in list(env):
        if name.startswith(("ORBIT_KAFKA", "ORBIT_DATABASE_URL")) or (
            name.startswith("ORBIT_") and name.endswith("_DATABASE_URL")
        ):
            env.pop(name)
    log = (data / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (data / "server.log").read_text()
            assert time.monotonic() < deadline, "orbit run did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def bounded(max_examples: int) -> settings:
    """Hypothesis settings of a bounded, repeatable run."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )


# The live stream never ends (STREAM below): left to the matrix and test_stream.py here too.
@schema.exclude(operation_id="streamNotifications").parametrize()
@bounded(MAX_EXAMPLES)
def test_api(case: Case, server: str) -> None:
    case.call_and_validate(base_url=server, headers=dict(ADMIN), checks=CHECKS)


def test_an_oversized_body_is_a_413_over_a_real_socket(server: str) -> None:
    """uvicorn in front of the body limit (tests/security/test_attacks.py has the rest): a
    declared Content-Length and a chunked body over the limit are both a 413 problem+json,
    and the connection is closed (the rest of the body is never read)."""
    big = b"a" * (2 * 1_048_576)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    headers = {**ADMIN, "Content-Type": "application/json"}
    with httpx.Client(base_url=server, timeout=30) as http:
        for content in (big, chunks()):
            response = http.post("/api/v1/staff", headers=headers, content=content)
            assert response.status_code == 413, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["connection"] == "close"
            assert response.json()["type"] == "https://orbit.dev/problems/content-too-large"


# ---------------------------------------------------------------- the four production processes
# The merged, checked-in document against `orbit serve <service>` x 4 on PostgreSQL (a fresh
# database each) and Kafka, each operation sent to the process that serves its path. The
# services' topics and consumer groups are fixed (`orbit.<service>`), as in tests/e2e: on a
# broker shared with other test runs, point ORBIT_TEST_KAFKA_BOOTSTRAP at one of your own.

PRODUCTION_MAX_EXAMPLES = 5
merged = schemathesis.openapi.from_path(ROOT / OPENAPI_FILE)
# The schema's examples and PRODUCTION_MAX_EXAMPLES generated requests per operation; not the
# coverage phase (boundary and negative values of every parameter, ~50 requests an
# operation: the embedded test above runs it) — it would take the run past its 2 minutes.
merged.config.phases.coverage.enabled = False
# The live stream answers 200 and never ends: each case would wait out the client's read
# timeout (~10 s, 50 of the run's 60 s). The authorization matrix covers who may open it,
# tests/integration/notifications/test_stream.py what it sends.
STREAM = "streamNotifications"


def _owners() -> dict[str, str]:
    """Each path of the merged document -> the service that serves it (health: any)."""
    settings = test_settings(data_dir="/nonexistent-never-started")
    owners: dict[str, str] = {}
    for service in SERVICES:
        for path in standalone_app(service, settings).openapi()["paths"]:
            owners.setdefault(path, service)
    return owners


OWNERS = _owners()
SENT: dict[str, int] = {}  # operation -> cases sent (the counts of the report)
TOOK: dict[str, float] = {}  # operation -> seconds its cases took


@pytest.fixture(scope="module")
async def production(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    logs: Path = tmp_path_factory.mktemp("schemathesis-production")
    async with four_databases() as urls:
        env = base_env(
            ORBIT_KAFKA_BOOTSTRAP=kafka_bootstrap(),
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()},
        )
        migrate_all(env)
        async with serving(SERVICES, env, logs) as served:
            yield served
        print(  # the counts of issue 14's report (pytest -s shows them)
            f"\nschemathesis on the production processes: {len(SENT)} operations, "
            f"{sum(SENT.values())} cases, {sum(TOOK.values()):.0f} s; slowest: "
            f"{sorted(TOOK.items(), key=lambda i: -i[1])[:3]}"
        )


@merged.exclude(operation_id=STREAM).parametrize()
@bounded(PRODUCTION_MAX_EXAMPLES)
def test_production_processes(case: Case, production: dict[str, str]) -> None:
    operation = case.operation.definition.raw.get("operationId", case.path)
    SENT[operation] = SENT.get(operation, 0) + 1
    base_url = production[OWNERS.get(case.path, "clients")]
    started = time.monotonic()
    try:
        case.call_and_validate(base_url=base_url, headers=dict(ADMIN), checks=CHECKS)
    finally:
        TOOK[operation] = TOOK.get(operation, 0.0) + time.monotonic() - started
