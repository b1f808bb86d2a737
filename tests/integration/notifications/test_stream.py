"""The live stream across processes: ``orbit serve notifications`` (its own process) streams
the notifications another process (this test's app, the same PostgreSQL database) creates:
``id:`` on each event, heartbeats, resume with ``Last-Event-ID``, and a stop of the server
ends the stream at once instead of waiting out the graceful-shutdown timeout; the same with
``--workers 2`` (two processes behind the port, each streaming what it is told by PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.clock import SystemClock
from shared.migrations import migrate
from tests.integration.notifications.helpers import Notif, Person, sla_breached
from tests.support.apps import running, runtime_of, test_settings
from tests.support.net import free_port
from tests.support.processes import ORBIT, base_env, process, wait_healthy

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "notifications" / "migrations"


async def sse_events(
    lines: AsyncIterator[str], want: int, *, heartbeats: list[str] | None = None
) -> list[dict[str, Any]]:
    """Read ``want`` events (id and parsed data) from an open stream's lines."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    async for line in lines:
        if line.startswith(":") and heartbeats is not None:
            heartbeats.append(line)
        elif line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif line == "" and current:
            events.append(current)
            current = {}
            if len(events) >= want:
                return events
    return events


@pytest.mark.parametrize("workers", [1, 2])
async def test_stream_across_processes(pg_url: str, tmp_path: Path, workers: int) -> None:
    await migrate(MIGRATIONS, pg_url)
    app = create_app(
        NotificationsSettings(**test_settings(database_url=pg_url).model_dump()),
        workers=False,
    )
    async with running(app) as http:
        writer = Notif(http, runtime_of(app, "notifications"), SystemClock())  # type: ignore[arg-type]
        ida = await writer.staff("Ida")
        client = await writer.client("Initech", ida)
        port = free_port()
        env = base_env(
            ORBIT_NOTIFICATIONS_DATABASE_URL=pg_url,
            ORBIT_NOTIFICATIONS_STREAM_POLL_SECONDS="0.1",
            ORBIT_NOTIFICATIONS_STREAM_HEARTBEAT_SECONDS="0.5",
            ORBIT_SHUTDOWN_TIMEOUT_SECONDS="8",
        )
        log = tmp_path / "serve.log"
        command = [ORBIT, "serve", "notifications", "--port", str(port)]
        with process([*command, "--workers", str(workers)], env, log) as proc:
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(url, proc, log)
            assert len(workers_of(proc.pid)) == (workers if workers > 1 else 0)
            async with httpx.AsyncClient(base_url=url, timeout=30) as api:
                first = await first_event(api, writer, ida, client)
                await resume(api, writer, ida, client, first)
                await metrics_of_every_worker(url, ida)
                await stop_ends_stream(api, proc, ida)


async def metrics_of_every_worker(url: str, ida: Person) -> None:
    """``/metrics`` counts the requests every worker served, whichever worker answers it."""
    sample = 'orbit_http_requests_total{method="GET",route="/api/v1/notifications",status="200"}'
    for _ in range(12):  # a connection each: the workers take them in turns
        async with httpx.AsyncClient(base_url=url) as one:
            assert (await one.get("/api/v1/notifications", headers=ida.headers)).status_code == 200
    for _ in range(4):
        async with httpx.AsyncClient(base_url=url) as one:
            text = (await one.get("/metrics")).text
        assert f"{sample} 12.0" in text.splitlines(), [
            line for line in text.splitlines() if 'route="/api/v1/notifications"' in line
        ]
        assert "orbit_build_info{" in text


def workers_of(pid: int) -> list[int]:
    """The worker processes ``orbit serve --workers`` spawned (none when it serves alone)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == pid and b"spawn_main" in cmdline:
                found.append(int(stat.parent.name))
    return found


async def first_event(api: httpx.AsyncClient, writer: Notif, ida: Person, client: uuid.UUID) -> str:
    beats: list[str] = []
    async with api.stream("GET", "/api/v1/notifications/stream", headers=ida.headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        await asyncio.sleep(0.5)  # the stream has started: older entries are not replayed
        event = await writer.deliver(
            "orbit.interactions.sla.breached.v1", sla_breached(client, ida)
        )
        lines = stream.aiter_lines()
        [got] = await asyncio.wait_for(sse_events(lines, 1, heartbeats=beats), 10)
        assert got["data"]["event_id"] == str(event.id)
        assert got["data"]["type"] == "orbit.interactions.sla.breached.v1"
        assert got["id"] == got["data"]["id"]
        await asyncio.wait_for(_heartbeat(lines, beats), 5)
    return str(got["id"])


async def _heartbeat(lines: AsyncIterator[str], beats: list[str]) -> None:
    async for line in lines:
        if line.startswith(":"):
            beats.append(line)
        if ": heartbeat" in beats:
            return


async def resume(
    api: httpx.AsyncClient, writer: Notif, ida: Person, client: uuid.UUID, last_id: str
) -> None:
    # Two notifications while disconnected: a resumed stream sends both, nothing before.
    missed = [
        await writer.deliver("orbit.interactions.sla.at_risk.v1", sla_breached(client, ida)),
        await writer.deliver("orbit.interactions.task.overdue.v1", sla_breached(client, ida)),
    ]
    headers = ida.headers | {"Last-Event-ID": last_id}
    async with api.stream("GET", "/api/v1/notifications/stream", headers=headers) as stream:
        got = await asyncio.wait_for(sse_events(stream.aiter_lines(), 2), 10)
    assert [g["data"]["event_id"] for g in got] == [str(e.id) for e in missed]


async def stop_ends_stream(api: httpx.AsyncClient, proc: Any, ida: Person) -> None:
    async with api.stream("GET", "/api/v1/notifications/stream", headers=ida.headers) as stream:
        await asyncio.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # The server ends the stream (or closes the connection: that ends it too).
        with contextlib.suppress(httpx.RemoteProtocolError, httpx.ReadError):
            async for _ in stream.aiter_lines():
                pass
        ended = time.monotonic() - started
    await asyncio.get_running_loop().run_in_executor(None, proc.wait, 10)
    stopped = time.monotonic() - started
    assert ended < 4, f"the stream lasted {ended:.1f}s after SIGTERM"
    assert stopped < 6, f"the server took {stopped:.1f}s to stop (graceful timeout 8 s)"
