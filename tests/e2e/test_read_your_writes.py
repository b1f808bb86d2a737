"""Issue 17, section 2, in production shape: four ``orbit serve`` processes on PostgreSQL
and Kafka (a broker of this test's own, deploy/local/kafka.sh instance "read-your-writes", so
stopping it disturbs no one). What the clients service committed is usable at once in
interactions, billing and notifications: 100 rounds with Kafka up, 100 with Kafka stopped
(the clients service reachable); with the clients service stopped as well, a call naming an
object the others have not seen is 503 with Retry-After, and succeeds once it is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.apps import ADMIN
from tests.support.net import free_port
from tests.support.processes import (
    ORBIT,
    base_env,
    four_databases,
    migrate_all,
    process,
    serving,
)
from tests.support.readyourwrites import Created, Orbit, Tally, invoice_body, rounds
from tests.support.servers import kafka_instance
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

BROKER = "read-your-writes"
ROUNDS = 100


@pytest.fixture
def broker() -> Iterator[str]:
    kafka_instance("reset", BROKER)
    bootstrap = kafka_instance("start", BROKER)
    try:
        yield bootstrap
    finally:
        kafka_instance("stop", BROKER)


def start_clients(stack: ExitStack, port: int, env: dict[str, str], log: Path) -> None:
    stack.enter_context(process([ORBIT, "serve", "clients", "--port", str(port)], env, log))


async def alive(url: str) -> None:
    """/healthz answers (/readyz would not while Kafka is stopped)."""

    async def up() -> bool:
        try:
            async with httpx.AsyncClient(base_url=url, timeout=2) as http:
                return (await http.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(up, timeout=90, interval=0.2, what=f"{url} alive")


def report(what: str, tally: Tally, elapsed: float) -> None:
    print(
        f"production shape, {what}: {tally.rounds} rounds, {tally.calls} calls, "
        f"{len(tally.failures)} failed, {elapsed:.1f} s"
    )


async def timed_rounds(orbit: Orbit, what: str) -> Tally:
    started = time.monotonic()
    tally = await rounds(orbit, ROUNDS)
    report(what, tally, time.monotonic() - started)
    return tally


def uses_of(made: Created) -> list[tuple[str, str, dict[str, str], dict[str, Any] | None, int]]:
    """Calls naming objects the replicas have not seen: (method, path, headers, body, 2xx)."""
    return [
        ("POST", "/api/v1/invoices", ADMIN, invoice_body(made.client), 201),
        ("POST", "/api/v1/invoices", made.headers, invoice_body(made.client), 201),
        (
            "POST",
            "/api/v1/feedback",
            ADMIN,
            {"client_id": made.client, "kind": "csat", "score": 5, "contact_id": made.contact},
            201,
        ),
        ("GET", "/api/v1/notifications", made.headers, None, 200),
    ]


async def test_read_your_writes_in_production_shape(tmp_path: Path, broker: str) -> None:
    async with four_databases() as urls, AsyncExitStack() as stack:
        clients_port = free_port()
        clients_url = f"http://127.0.0.1:{clients_port}"
        env = base_env(
            ORBIT_KAFKA_BOOTSTRAP=broker,
            ORBIT_CLIENTS_URL=clients_url,
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()},
        )
        migrate_all(env)
        owner = stack.enter_context(ExitStack())
        start_clients(owner, clients_port, env, tmp_path / "clients.log")
        others = ["interactions", "billing", "notifications"]
        served = await stack.enter_async_context(serving(others, env, tmp_path))
        served["clients"] = clients_url
        await alive(clients_url)
        http = {
            service: await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            for service, url in served.items()
        }
        orbit = Orbit(http)

        up = await timed_rounds(orbit, "Kafka up")
        assert up.failures == []

        kafka_instance("stop", BROKER)
        down = await timed_rounds(orbit, "Kafka stopped")
        assert down.failures == []

        # Made while Kafka is stopped: no other service has seen them.
        made = await orbit.create_all()
        owner.close()  # the clients service stops too
        for method, path, headers, body, _ in uses_of(made):
            response = await orbit.call(method, path, headers, body)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["retry-after"].isdigit()
            assert response.headers["content-type"] == "application/problem+json"
        print(f"production shape, clients stopped: {len(uses_of(made))} calls, each 503")
        # An admin token needs no staff record: it still works.
        listed = await orbit.call("GET", "/api/v1/notifications", ADMIN)
        assert listed.status_code == 200, listed.text

        # The clients service back (Kafka still stopped): the same calls succeed.
        start_clients(owner, clients_port, env, tmp_path / "clients-again.log")
        await alive(clients_url)
        for method, path, headers, body, ok in uses_of(made):
            response = await orbit.call(method, path, headers, body)
            assert response.status_code == ok, (path, response.text)
