"""Schemathesis over the embedded server's OpenAPI: every operation with a few generated
requests (as the admin), against a real ``orbit run`` process on SQLite. No 5xx, and every
response matches its documented status, content type and schema.

Bounded so ``make test`` stays fast: ``MAX_EXAMPLES`` requests per operation (74 operations)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
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

from services.embedded import embedded_app
from tests.support.apps import ADMIN, TEST_SECRET, test_settings
from tests.support.net import free_port

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


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api(case: Case, server: str) -> None:
    case.call_and_validate(base_url=server, headers=dict(ADMIN), checks=CHECKS)
