"""Helpers to drive apps through ASGI and mint tokens in tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.auth import issue_token
from shared.runtime import ServiceRuntime
from shared.settings import OrbitSettings
from tests.support.net import free_port
from tests.support.waiting import eventually

TEST_SECRET = "orbit-test-secret-0123456789abcdef-0123456789"


def test_settings(**overrides: Any) -> OrbitSettings:
    values: dict[str, Any] = {
        "env": "test",
        "jwt_secret": TEST_SECRET,
        "scheduler_interval_seconds": 1,
        "relay_interval_seconds": 0.05,
        "consumer_backoff_seconds": 0.01,
        "kafka_bootstrap": None,
        "database_url": None,
    }
    values.update(overrides)
    return OrbitSettings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def token(sub: uuid.UUID | str, role: str, secret: str = TEST_SECRET, ttl: int = 3600) -> str:
    return issue_token(secret, sub, role, ttl)


def auth(sub: uuid.UUID | str, role: str, secret: str = TEST_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, role, secret)}"}


ADMIN_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
ADMIN = auth(ADMIN_ID, "admin")


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan (workers included) and give an HTTP client bound to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://orbit.test") as client:
            yield client


@asynccontextmanager
async def served(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """The (started) app behind a real uvicorn server on ``port`` (a free loopback port when
    None): its base URL, for a test whose services call each other over real HTTP."""
    import uvicorn

    port = port or free_port()
    # As `orbit serve` runs it: no uvicorn access log (it would log the query string).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)

    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=10, interval=0.02, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def runtime_of(app: FastAPI, service: str) -> ServiceRuntime:
    """The running service inside an app started by ``running``."""
    runtime: ServiceRuntime = app.state.orbit[service]
    return runtime
