"""Real Orbit processes for end-to-end and fault tests: the ``orbit`` executable of this
environment, its environment variables, a process whose output goes to a log file, and a
readiness wait that shows the log when the process dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path

import httpx

from tests.support.apps import TEST_SECRET
from tests.support.net import free_port
from tests.support.servers import fresh_postgres_database
from tests.support.waiting import eventually

ORBIT = str(Path(sys.executable).with_name("orbit"))


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBIT_")}
    env.update(
        {
            "ORBIT_ENV": "test",
            "ORBIT_JWT_SECRET": TEST_SECRET,
            "ORBIT_SCHEDULER_INTERVAL_SECONDS": "1",
            "ORBIT_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def migrate_all(env: dict[str, str], target: str = "all") -> str:
    """``orbit migrate <target>`` with ``env``; its output, once it exited with 0."""
    migrated = subprocess.run(
        [ORBIT, "migrate", target],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert migrated.returncode == 0, migrated.stderr
    return migrated.stdout


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def wait_healthy(
    base_url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    async def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"{base_url} exited: {log.read_text()[-3000:]}")
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
                return (await client.get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(healthy, timeout=timeout, interval=0.3, what=f"{base_url} ready")


@asynccontextmanager
async def serving(
    services: Sequence[str], env: dict[str, str], logs: Path
) -> AsyncIterator[dict[str, str]]:
    """``orbit serve <service>`` for each of ``services`` on a free port, logging to
    ``logs/<service>.log``, all ready; yields each service's base URL (stopped afterwards).
    The others read through to the clients service among them (``ORBIT_CLIENTS_URL``) and
    fetch the invoice PDF of their emails from the billing service (``ORBIT_BILLING_URL``);
    the clients service asks interactions and billing whose client a document's owner is
    (``ORBIT_INTERACTIONS_URL``)."""
    ports = {svc: free_port() for svc in services}
    if "clients" in ports and "ORBIT_CLIENTS_URL" not in env:
        env = {**env, "ORBIT_CLIENTS_URL": f"http://127.0.0.1:{ports['clients']}"}
    if "billing" in ports and "ORBIT_BILLING_URL" not in env:
        env = {**env, "ORBIT_BILLING_URL": f"http://127.0.0.1:{ports['billing']}"}
    if "interactions" in ports and "ORBIT_INTERACTIONS_URL" not in env:
        env = {**env, "ORBIT_INTERACTIONS_URL": f"http://127.0.0.1:{ports['interactions']}"}
    with ExitStack() as stack:
        procs = {
            svc: stack.enter_context(
                process([ORBIT, "serve", svc, "--port", str(port)], env, logs / f"{svc}.log")
            )
            for svc, port in ports.items()
        }
        for svc, proc in procs.items():
            await wait_healthy(f"http://127.0.0.1:{ports[svc]}", proc, logs / f"{svc}.log")
        yield {svc: f"http://127.0.0.1:{port}" for svc, port in ports.items()}


@asynccontextmanager
async def four_databases() -> AsyncIterator[dict[str, str]]:
    async with (
        fresh_postgres_database("e2e_clients") as clients,
        fresh_postgres_database("e2e_interactions") as interactions,
        fresh_postgres_database("e2e_billing") as billing,
        fresh_postgres_database("e2e_notifications") as notifications,
    ):
        yield {
            "clients": clients,
            "interactions": interactions,
            "billing": billing,
            "notifications": notifications,
        }
