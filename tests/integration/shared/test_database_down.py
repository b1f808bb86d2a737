"""The database cannot be reached: the API answers 503 problem+json with Retry-After (never a
500, never the connection details), /readyz answers 503 naming the database; once it is
back, the same app answers again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.embedded import standalone_app
from tests.support.apps import ADMIN, running, test_settings
from tests.support.net import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def api_without_database() -> AsyncIterator[httpx.AsyncClient]:
    url = f"postgresql+asyncpg://orbit:s3cret@127.0.0.1:{free_port()}/orbit_clients"
    app = standalone_app("clients", test_settings(database_url=url))
    async with running(app) as http:
        yield http


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["title"] == "Service Unavailable" and body["status"] == 503
    assert body["type"].endswith("/unavailable")
    for internal in ("127.0.0.1", "s3cret", "asyncpg", "Connect call", "Errno"):
        assert internal not in response.text


async def test_api_calls_answer_503_when_the_database_is_unreachable(
    api_without_database: httpx.AsyncClient,
) -> None:
    http = api_without_database
    assert_unavailable(await http.get("/api/v1/clients", headers=ADMIN))
    assert_unavailable(
        await http.post(
            "/api/v1/staff",
            headers=ADMIN,
            json={"name": "Ada", "email": "ada@orbit.example", "role": "manager"},
        )
    )
    assert_unavailable(
        await http.post(
            "/api/v1/clients",
            headers=ADMIN | {"Idempotency-Key": "k-1"},
            json={"name": "Acme", "account_manager_id": None},
        )
    )
    assert (await http.get("/healthz")).status_code == 200  # alive, only not ready


async def test_readyz_answers_503_when_the_database_is_unreachable(
    api_without_database: httpx.AsyncClient,
) -> None:
    response = await api_without_database.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database:clients": False, "bus": True},
    }
    assert int(response.headers["Retry-After"]) > 0


async def test_readyz_answers_200_when_the_database_is_up(pg_url: str) -> None:
    app = standalone_app("clients", test_settings(database_url=pg_url), migrate_on_start=True)
    async with running(app) as http:
        response = await http.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database:clients": True, "bus": True}
        assert (await http.get("/api/v1/clients", headers=ADMIN)).status_code == 200
