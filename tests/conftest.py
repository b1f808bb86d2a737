"""Shared fixtures. Integration tests get a fresh PostgreSQL database per test and the real
Kafka of deploy/local (or the servers named by ORBIT_TEST_DATABASE_URL/_KAFKA_BOOTSTRAP);
tests of email and webhooks a real SMTP server and webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.notifications.test_email_smtp import SmtpServer
from tests.integration.notifications.test_webhooks import Receiver
from tests.support.net import free_port
from tests.support.servers import fresh_postgres_database, kafka_bootstrap


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test using it runs on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def kafka() -> str:
    return kafka_bootstrap()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback, started; ``smtp.inbox.messages``."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real HTTP server on loopback keeping every webhook request (``receiver.requests``)."""
    r = Receiver()
    await r.start()
    yield r
    assert r.server is not None
    r.server.close()
