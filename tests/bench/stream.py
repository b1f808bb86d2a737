"""The live stream benchmark (issue 21, section 4), push against the old poll in one run.

Production shape: ``orbit serve clients|interactions|notifications`` on fresh PostgreSQL
databases and a Kafka broker of their own (billing plays no part in an alert from feedback).
The notifications process runs twice on the same databases: with the push (the default) and
with ``ORBIT_NOTIFICATIONS_STREAM_PUSH=false`` and ``..._STREAM_POLL_SECONDS=0.5`` (what
each stream did before: a read of the table every 0.5 s), the baseline. Each time:

- one manager: ``SAMPLES`` low NPS scores (``POST /api/v1/feedback``, score 2) one after the
  other; latency = from the answer of the POST to the ``feedback.received`` entry on the
  manager's open stream (interactions commits, its relay publishes to Kafka, notifications
  consumes, writes the entry, the stream sends it);
- ``STREAMS`` open idle streams (as many staff members, written into the notifications
  database's staff replica, a token each): the RSS of the process before and after they
  opened (per stream: the difference / ``STREAMS``), its CPU over ``IDLE_SECONDS`` while
  they are idle (% of one core), then ``BROADCASTS`` notifications to all of them (one
  transaction writing an entry for each, as a rule with many recipients does): latency =
  from the commit to the event on each stream (p50 / p99 over every stream and broadcast).

Embedded: ``orbit run`` (SQLite, in-process bus), the one-manager latency, push and poll.

The streams are read by one client process over raw sockets (asyncio), timestamps taken as
a line arrives. Knobs: BENCH_STREAMS (1,000), BENCH_STREAM_SAMPLES (40), BENCH_IDLE_SECONDS
(20).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import insert

from services.notifications.store.models import Notification
from shared.auth import issue_token
from shared.db import create_engine
from shared.replica_store import staff_replica
from tests.bench import http, summary
from tests.bench.notifications import percentile

STREAMS = int(os.environ.get("BENCH_STREAMS", "1000"))
SAMPLES = int(os.environ.get("BENCH_STREAM_SAMPLES", "40"))
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_SECONDS", "20"))
BROADCASTS = 3
FEEDBACK = "orbit.interactions.feedback.received.v1"
POLL = {
    "ORBIT_NOTIFICATIONS_STREAM_PUSH": "false",
    "ORBIT_NOTIFICATIONS_STREAM_POLL_SECONDS": "0.5",
}
GOAL_IDLE_CPU = 5.0  # % of one core, 1,000 idle streams
GOAL_FANOUT_P99_MS = 1000.0
GOAL_ONE_P99_MS = {"embedded": 100.0, "production": 250.0}


@dataclass
class Stream:
    """One open stream over a raw socket: the arrival time of each event id, and its type."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    arrivals: dict[str, tuple[float, str]] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        event_id = None
        while line := await self.reader.readline():
            now = time.monotonic()
            if line.startswith(b"id: "):
                event_id = line[4:].strip().decode()
            elif line.startswith(b"data: ") and event_id:
                kind = json.loads(line[6:])["type"]
                self.arrivals[event_id] = (now, kind)
                self.arrived.set()
                event_id = None

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


async def open_stream(base: str, token: str) -> Stream:
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=1 << 20)
    writer.write(
        (
            "GET /api/v1/notifications/stream HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    status = await reader.readline()
    if b" 200 " not in status:
        rest = await reader.read(2000)
        writer.close()
        raise RuntimeError(f"stream refused: {status!r} {rest!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    while b": connected" not in await reader.readline():
        pass
    stream = Stream(reader, writer)
    stream.task = asyncio.create_task(stream.read())
    return stream


def _token(staff_id: uuid.UUID | str) -> str:
    return issue_token(http.SECRET, str(staff_id), "manager", ttl_seconds=7200)


# ---------------------------------------------------------------- one manager


async def one_manager(bases: dict[str, str], token: str, client_id: str) -> list[float]:
    """Latencies (ms) from the answer of a low NPS score to its entry on the open stream."""
    stream = await open_stream(bases["notifications"], token)
    latencies = []
    body = {"client_id": client_id, "kind": "nps", "score": 2}
    try:
        for _ in range(SAMPLES):
            seen = set(stream.arrivals)
            made = await asyncio.to_thread(
                http._request, "POST", f"{bases['interactions']}/api/v1/feedback", token, body
            )
            answered = time.monotonic()
            assert made["id"]
            deadline = answered + 30
            while True:
                fresh = [
                    at
                    for key, (at, kind) in stream.arrivals.items()
                    if key not in seen and kind == FEEDBACK
                ]
                if fresh:
                    latencies.append((fresh[0] - answered) * 1000)
                    break
                if time.monotonic() > deadline:
                    raise AssertionError("the low score's alert never reached the stream")
                stream.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stream.arrived.wait(), 1)
            await asyncio.sleep(0.05)
    finally:
        await stream.close()
    return latencies


# ---------------------------------------------------------------- many idle streams


@dataclass(frozen=True)
class Crowd:
    streams: int
    rss_per_stream_kb: float
    alone_cpu_percent: float  # the process with no stream open (its relay, consumer, workers)
    idle_cpu_percent: float
    fanout_ms: list[float]


async def _staff(url: str, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(staff_replica),
            [
                {
                    "id": i,
                    "name": f"Bench {k}",
                    "email": f"bench.{i.hex[:10]}@example.com",
                    "role": "manager",
                    "department": "bench",
                    "head_id": None,
                    "timezone": "UTC",
                    "active": True,
                    "source_time": datetime.now(UTC),
                }
                for k, i in enumerate(ids)
            ],
        )
    await engine.dispose()
    return ids


async def _broadcast(url: str, staff: list[uuid.UUID]) -> tuple[float, uuid.UUID]:
    """One entry for every one of ``staff`` in one transaction; the monotonic time of the
    commit's return and the event id they share."""
    event_id = uuid.uuid4()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(Notification),
                [
                    {
                        "id": uuid.uuid4(),
                        "recipient_id": s,
                        "type": FEEDBACK,
                        "severity": "warning",
                        "title": "Bench",
                        "body": "One notification to everyone",
                        "client_id": None,
                        "event_id": event_id,
                        "created_at": datetime.now(UTC),
                    }
                    for s in staff
                ],
            )
        committed = time.monotonic()
    finally:
        await engine.dispose()
    return committed, event_id


async def _cpu_percent(pid: int) -> float:
    """The process's CPU over ``IDLE_SECONDS``, % of one core."""
    cpu = http._cpu_seconds(pid)
    await asyncio.sleep(IDLE_SECONDS)
    return (http._cpu_seconds(pid) - cpu) * 100 / IDLE_SECONDS


async def crowd(base: str, url: str, pid: int, staff: list[uuid.UUID]) -> Crowd:
    alone = await _cpu_percent(pid)
    rss_before = http._rss_mb(pid)
    streams: list[Stream] = []
    try:
        for chunk in range(0, len(staff), 50):
            streams += await asyncio.gather(
                *(open_stream(base, _token(s)) for s in staff[chunk : chunk + 50])
            )
        await asyncio.sleep(3)  # the opening's work done
        rss_after = http._rss_mb(pid)
        idle = await _cpu_percent(pid)
        fanout: list[float] = []
        for _ in range(BROADCASTS):
            before = [set(s.arrivals) for s in streams]
            committed, _ = await _broadcast(url, staff)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if all(len(s.arrivals) > len(b) for s, b in zip(streams, before, strict=True)):
                    break
                await asyncio.sleep(0.05)
            for s, b in zip(streams, before, strict=True):
                fresh = [at for key, (at, _k) in s.arrivals.items() if key not in b]
                fanout.append((min(fresh) - committed) * 1000 if fresh else 60_000.0)
            await asyncio.sleep(1)
    finally:
        await asyncio.gather(*(s.close() for s in streams))
    per_stream = (rss_after - rss_before) * 1024 / max(len(streams), 1)
    return Crowd(len(streams), per_stream, alone, idle, fanout)


# ---------------------------------------------------------------- the setups


@dataclass
class Mode:
    one: list[float]
    many: Crowd | None = None


def _serve(
    stack: ExitStack, service: list[str], env: dict[str, str], workdir: Path, name: str
) -> tuple[str, int]:
    port = http.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = stack.enter_context(
        http.server(
            [http.ORBIT, *service, "--port", str(port)],
            env,
            f"{base}/readyz",
            workdir / f"stream-{name}.log",
        )
    )
    return base, proc.pid


def production(make_url: Callable[[str], str], workdir: Path) -> dict[str, Mode]:
    services = ("clients", "interactions", "notifications")
    urls = {s: make_url(f"bench_stream_{s}") for s in services}
    modes: dict[str, Mode] = {}
    with http.dedicated_kafka("bench-stream") as kafka:
        env = http.migrated_env(kafka, urls)
        with ExitStack() as stack:
            bases = {
                s: _serve(stack, ["serve", s], env, workdir, s)[0]
                for s in ("clients", "interactions")
            }
            token, client_id = http.manager_token(bases["clients"])
            http._known_to_interactions(bases["interactions"], token, client_id)
            staff = asyncio.run(_staff(urls["notifications"], STREAMS))
            for mode, extra in (("push", {}), ("poll", POLL)):
                with ExitStack() as inner:
                    base, pid = _serve(
                        inner, ["serve", "notifications"], env | extra, workdir, f"n-{mode}"
                    )
                    bases["notifications"] = base
                    _wait_staff(base, token)
                    one = asyncio.run(one_manager(bases, token, client_id))
                    many = asyncio.run(crowd(base, urls["notifications"], pid, staff))
                    modes[mode] = Mode(one, many)
    return modes


def _wait_staff(base: str, token: str) -> None:
    """Until the notifications replica has the manager (their feed answers)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            http._request("GET", f"{base}/api/v1/notifications?limit=1", token)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def embedded(workdir: Path) -> dict[str, Mode]:
    modes = {}
    for mode, extra in (("push", {}), ("poll", POLL)):
        env = http.orbit_env(
            ORBIT_DATA_DIR=str(workdir / f"stream-var-{uuid.uuid4().hex[:6]}"), **extra
        )
        with ExitStack() as stack:
            base, _ = _serve(stack, ["run"], env, workdir, f"run-{mode}")
            token, client_id = http.manager_token(base)
            http._known_to_interactions(base, token, client_id)
            _wait_staff(base, token)
            bases = dict.fromkeys(("clients", "interactions", "notifications"), base)
            modes[mode] = Mode(asyncio.run(one_manager(bases, token, client_id)))
    return modes


# ---------------------------------------------------------------- the report


def _p(values: list[float]) -> str:
    return f"{percentile(values, 0.5):.0f} / {percentile(values, 0.99):.0f}"


def stream_report(make_url: Callable[[str], str], workdir: Path) -> list[str]:
    prod = production(make_url, workdir)
    emb = embedded(workdir)
    rows = []
    for setup, modes in (("embedded `orbit run`", emb), ("production (3 `orbit serve`)", prod)):
        for mode, result in modes.items():
            rows.append(f"| {setup} | {mode} | {len(result.one)} | {_p(result.one)} |")
    crowd_rows = []
    for mode, result in prod.items():
        many = result.many
        assert many is not None
        crowd_rows.append(
            f"| {mode} | {many.streams:,} | {many.alone_cpu_percent:.1f} % | "
            f"{many.idle_cpu_percent:.1f} % | "
            f"{many.idle_cpu_percent - many.alone_cpu_percent:.1f} % | "
            f"{many.rss_per_stream_kb:.0f} KB | {len(many.fanout_ms):,} | {_p(many.fanout_ms)} |"
        )
    push, poll = prod["push"].many, prod["poll"].many
    assert push is not None and poll is not None
    mine = push.idle_cpu_percent - push.alone_cpu_percent
    theirs = poll.idle_cpu_percent - poll.alone_cpu_percent
    summary.record(
        f"{push.streams:,} idle streams: CPU of `orbit serve notifications` (% of a core) "
        "beyond the process with none",
        f"{mine:.1f} % ({push.idle_cpu_percent:.1f} % in all)",
        f"{theirs:.1f} % (poll 0.5 s)",
        f"{mine / max(theirs, 0.01):.3f}x",
        f"< {GOAL_IDLE_CPU:.0f} %",
        mine < GOAL_IDLE_CPU,
    )
    fan = percentile(push.fanout_ms, 0.99)
    summary.record(
        f"one notification to {push.streams:,} open streams, p99",
        f"{fan:.0f} ms",
        f"{percentile(poll.fanout_ms, 0.99):.0f} ms (poll)",
        f"{fan / max(percentile(poll.fanout_ms, 0.99), 0.01):.2f}x",
        f"< {GOAL_FANOUT_P99_MS:.0f} ms",
        fan < GOAL_FANOUT_P99_MS,
    )
    summary.record(
        "memory per open stream (RSS of the process / streams)",
        f"{push.rss_per_stream_kb:.0f} KB",
        f"{poll.rss_per_stream_kb:.0f} KB (poll)",
        "-",
        "measured",
        None,
    )
    for name, modes, key in (
        ("embedded `orbit run`", emb, "embedded"),
        ("production shape", prod, "production"),
    ):
        mine, base = percentile(modes["push"].one, 0.99), percentile(modes["poll"].one, 0.99)
        summary.record(
            f"low NPS answered -> alert on the manager's stream, {name}, p99",
            f"{mine:.0f} ms",
            f"{base:.0f} ms (poll)",
            f"{mine / max(base, 0.01):.2f}x",
            f"< {GOAL_ONE_P99_MS[key]:.0f} ms",
            mine < GOAL_ONE_P99_MS[key],
        )
    return [
        "### Live stream: push against poll",
        "",
        "Poll: `ORBIT_NOTIFICATIONS_STREAM_PUSH=false`, `..._STREAM_POLL_SECONDS=0.5` (each "
        "stream reads the table every 0.5 s, as before). Push: PostgreSQL LISTEN/NOTIFY "
        "fanned out in the process (one LISTEN connection), in-process after the commit on "
        f"SQLite; a safety read every 60 s. One manager: {SAMPLES} low NPS scores one after "
        "the other, from the POST's answer to the alert on their open stream. Many: "
        f"{STREAMS:,} streams of as many staff members on `orbit serve notifications`; CPU "
        f"over {IDLE_SECONDS} s with none open, then over {IDLE_SECONDS} s with all open and "
        f"idle (the streams' share: the difference); {BROADCASTS} notifications to all of "
        "them, each one transaction writing every entry, from its commit to each stream's "
        "event.",
        "",
        "| setup | stream | samples | ms p50 / p99 |",
        "|---|---|---|---|",
        *rows,
        "",
        "| `orbit serve notifications` | streams | CPU, none open | CPU, all open and idle | "
        "the streams' share | RSS per stream | events | fan-out ms p50 / p99 |",
        "|---|---|---|---|---|---|---|---|",
        *crowd_rows,
        "",
    ]
