"""Where the real PostgreSQL and Kafka of the tests are.

``make test`` starts them with deploy/local/up.sh and exports ORBIT_TEST_DATABASE_URL (a
server on which the tests may create databases) and ORBIT_TEST_KAFKA_BOOTSTRAP, and the
IMAP server of email in (ORBIT_TEST_IMAP_URL, ORBIT_TEST_LMTP_URL). Point those at servers
of your own to use them instead.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "local"


def _state_env() -> dict[str, str]:
    state = Path(os.environ.get("ORBIT_LOCAL_DIR", "/var/tmp/orbit-local"))
    env_file = state / "env"
    values: dict[str, str] = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip():
                values[key.strip()] = value.strip()
    return values


def _setting(name: str) -> str | None:
    return os.environ.get(name) or _state_env().get(name)


def _missing(what: str) -> None:
    message = f"{what} is not set: run the tests with `make test` (deploy/local starts the servers)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def postgres_admin_url() -> str:
    url = _setting("ORBIT_TEST_DATABASE_URL")
    if not url:
        _missing("ORBIT_TEST_DATABASE_URL")
    assert url
    return url


def kafka_bootstrap() -> str:
    bootstrap = _setting("ORBIT_TEST_KAFKA_BOOTSTRAP")
    if not bootstrap:
        _missing("ORBIT_TEST_KAFKA_BOOTSTRAP")
    assert bootstrap
    return bootstrap


@dataclass(frozen=True)
class MailServer:
    """The dovecot of deploy/local: IMAP and LMTP on loopback, any user with ``password``."""

    imap_url: str
    lmtp_host: str
    lmtp_port: int
    password: str


def mail_server() -> MailServer:
    """The IMAP server of the email-in tests (ORBIT_TEST_IMAP_URL, ORBIT_TEST_LMTP_URL,
    ORBIT_TEST_IMAP_PASSWORD; deploy/local/dovecot.sh)."""
    imap, lmtp = _setting("ORBIT_TEST_IMAP_URL"), _setting("ORBIT_TEST_LMTP_URL")
    if not imap or not lmtp:
        _missing("ORBIT_TEST_IMAP_URL")
    assert imap and lmtp
    parts = urlsplit(lmtp)
    assert parts.hostname and parts.port, lmtp
    return MailServer(imap, parts.hostname, parts.port, _setting("ORBIT_TEST_IMAP_PASSWORD") or "")


@asynccontextmanager
async def fresh_postgres_database(prefix: str = "t") -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards); yields its URL."""
    import asyncpg

    admin = make_url(postgres_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def fresh_service_databases(stack: AsyncExitStack, prefix: str) -> dict[str, str]:
    """A new PostgreSQL database per service (dropped when ``stack`` closes), as the settings
    of an embedded app name them: ``{"<service>_database_url": url}``."""
    return {
        f"{service}_database_url": await stack.enter_async_context(
            fresh_postgres_database(f"{prefix}_{service}")
        )
        for service in SERVICES
    }


def kafka_instance(action: str, name: str) -> str:
    """Start/stop a dedicated broker of deploy/local/kafka.sh (for outage tests)."""
    result = subprocess.run(
        ["bash", str(LOCAL / "kafka.sh"), action, name],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str


def s3_server() -> S3Server:
    """The S3-compatible store of the documents' tests (SeaweedFS: deploy/local/seaweedfs.sh),
    ORBIT_TEST_S3_ENDPOINT with its keys. Not on a moved clock (``make test-clock``): SeaweedFS
    is a Go binary, which libfaketime does not move, and S3 refuses signatures 400 days off."""
    if os.environ.get("FAKETIME"):
        pytest.skip("SeaweedFS runs on the real clock; a moved client's S3 signatures are skewed")
    endpoint = _setting("ORBIT_TEST_S3_ENDPOINT")
    if not endpoint:
        _missing("ORBIT_TEST_S3_ENDPOINT")
    assert endpoint
    return S3Server(
        endpoint,
        _setting("ORBIT_TEST_S3_ACCESS_KEY") or "",
        _setting("ORBIT_TEST_S3_SECRET_KEY") or "",
    )
