"""The fault harness: real servers of the suite's own, real ``orbit serve`` processes, a real
SMTP server and webhook receiver, a steady bounded load of writes, and the count of what they
caused.

- :class:`Broker`: the dedicated Kafka instance ``faults`` of deploy/local/kafka.sh (killed
  with SIGKILL, frozen with SIGSTOP); never the shared ``main`` broker.
- :class:`Postgres`: the private PostgreSQL instance ``faults`` of deploy/local/postgres.sh
  (restarted ``-m immediate``); the four service databases of a scenario are copies of
  template databases migrated once per session (``CREATE DATABASE … TEMPLATE``).
- :class:`Cluster`: the four services (or several replicas each) as processes, killed and
  restarted one by one.
- :class:`Load`: invoices drafted and issued over HTTP at a fixed rate, due in the past: each
  issued invoice becomes ``invoice.overdue`` (billing's scan), which the notifications service
  turns into one feed entry, one email and one webhook. Every response is kept.
- :func:`observe`: what exists afterwards, per invoice number, against what the accepted
  writes should have caused: lost and duplicated effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from sqlalchemy.engine import make_url

from services.notifications.handlers.dispatch import CACHE_SECONDS
from tests.integration.notifications.test_email_smtp import SmtpServer
from tests.integration.notifications.test_webhooks import Receiver
from tests.support.apps import auth
from tests.support.dates import overdue_issue
from tests.support.net import free_port
from tests.support.processes import ORBIT, base_env
from tests.support.servers import LOCAL, kafka_instance

NAME = "faults"  # the Kafka and PostgreSQL instances of this suite
SERVICES = ("clients", "interactions", "billing", "notifications")
OVERDUE = "orbit.billing.invoice.overdue.v1"
NUMBER = re.compile(r"\b\d{4}-\d{6}\b")  # an invoice number, 2026-000042


_T0 = time.monotonic()


def phase(what: str) -> None:
    """A timestamped line (shown with the output of a failing scenario, or with ``-s``)."""
    print(f"[faults {time.monotonic() - _T0:7.1f}s] {what}", flush=True)


def _local(script: str, *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        ["bash", str(LOCAL / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} failed: {result.stderr[-2000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _dsn(url: str) -> str:
    """An asyncpg DSN from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# ---------------------------------------------------------------- Kafka


@dataclass
class Broker:
    """The suite's own Kafka broker (deploy/local/kafka.sh instance ``faults``)."""

    name: str = NAME
    bootstrap: str = ""
    dirty: bool = True  # reset before the next scenario (a new broker, or one left busy)

    def start(self) -> str:
        self.bootstrap = kafka_instance("start", self.name)
        return self.bootstrap

    def reset(self) -> None:
        kafka_instance("reset", self.name)
        self.start()
        self.dirty = False

    def stop(self) -> None:
        self.thaw()
        kafka_instance("stop", self.name)

    def pid(self) -> int:
        return int(_local("kafka.sh", "pid", self.name))

    def kill(self) -> None:
        """``kill -9`` of the broker's JVM, waited for."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise AssertionError(f"the broker (pid {pid}) survived SIGKILL")

    def freeze(self) -> None:
        os.kill(self.pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        with contextlib.suppress(AssertionError, ProcessLookupError, ValueError):
            os.kill(self.pid(), signal.SIGCONT)

    async def lag(self) -> dict[str, int]:
        """Per consumer group of Orbit, the records of its topics it has not committed
        (every partition of a topic it committed on counts)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap)
        await admin.start()
        await consumer.start()
        await asyncio.sleep(0)  # its coordinator's task starts (else stop() raises)
        try:
            groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith("orbit.")]
            result: dict[str, int] = {}
            for group in groups:
                committed = await admin.list_consumer_group_offsets(group)
                partitions = await _partitions(consumer, {tp.topic for tp in committed})
                ends = await consumer.end_offsets(partitions) if partitions else {}
                result[group] = sum(
                    max(end - max(committed[tp].offset, 0) if tp in committed else end, 0)
                    for tp, end in ends.items()
                )
            return result
        finally:
            await consumer.stop()
            await admin.close()

    async def records(self, topic: str) -> list[dict[str, Any]]:
        """Every record of ``topic`` (the CloudEvents as dicts), read from the beginning to the
        end offsets of now, with no consumer group."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        await asyncio.sleep(0)  # its coordinator's task starts (else stop() raises)
        try:
            partitions = await _partitions(consumer, [topic])
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            found: list[dict[str, Any]] = []
            deadline = time.monotonic() + 60
            while True:
                behind = [tp for tp in partitions if await consumer.position(tp) < ends[tp]]
                if not behind:
                    return found
                assert time.monotonic() < deadline, f"reading {topic} took over 60 s"
                for tp, batch in (await consumer.getmany(*behind, timeout_ms=500)).items():
                    found += [json.loads(r.value or b"{}") for r in batch if r.offset < ends[tp]]
        finally:
            await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` (which exist), once the consumer's metadata has them."""
    topics = set(topics)
    deadline = time.monotonic() + 30
    while True:
        known = {t: consumer.partitions_for_topic(t) for t in topics}
        if all(known.values()):
            return [TopicPartition(t, p) for t, ps in known.items() for p in sorted(ps or ())]
        assert time.monotonic() < deadline, f"no metadata for {topics}: {known}"
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------- PostgreSQL


class Postgres:
    """The suite's private PostgreSQL (deploy/local/postgres.sh instance ``faults``): the
    scenarios may crash it without disturbing anyone."""

    def __init__(self, name: str = NAME) -> None:
        self.name = name
        self.url = ""
        self.templates: dict[str, str] = {}

    def start(self) -> str:
        self.url = _local("postgres.sh", "start", self.name)
        return self.url

    def stop(self) -> None:
        _local("postgres.sh", "stop", self.name)

    async def restart(self, down_seconds: float) -> None:
        """``pg_ctl stop -m immediate`` (every backend killed, crash recovery next), down for
        ``down_seconds``, then started again; returns once it answers."""
        process = await asyncio.create_subprocess_exec(
            "bash",
            str(LOCAL / "postgres.sh"),
            "restart",
            self.name,
            str(down_seconds),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(process.communicate(), down_seconds + 120)
        assert process.returncode == 0, f"postgres.sh restart failed: {err.decode()[-2000:]}"

    def _db(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    async def execute(self, *statements: str) -> None:
        conn = await asyncpg.connect(_dsn(self.url))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def migrate_templates(self) -> None:
        """The four databases migrated to their heads once (``orbit migrate all``), as
        templates of every scenario's databases."""
        tag = uuid.uuid4().hex[:8]
        names = {svc: f"faults_tpl_{svc}_{tag}" for svc in SERVICES}
        await self.execute(*(f'CREATE DATABASE "{n}"' for n in names.values()))
        env = base_env(
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": self._db(n) for svc, n in names.items()}
        )
        migrated = await asyncio.to_thread(
            subprocess.run,
            [ORBIT, "migrate", "all"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        self.templates = names

    async def drop_templates(self) -> None:
        await self.execute(
            *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in self.templates.values())
        )

    @asynccontextmanager
    async def databases(self) -> AsyncIterator[dict[str, str]]:
        """The four service databases of one scenario, copies of the migrated templates."""
        tag = uuid.uuid4().hex[:8]
        names = {svc: f"faults_{svc}_{tag}" for svc in SERVICES}
        await self.execute(
            *(f'CREATE DATABASE "{names[s]}" TEMPLATE "{self.templates[s]}"' for s in SERVICES)
        )
        try:
            yield {svc: self._db(n) for svc, n in names.items()}
        finally:
            with contextlib.suppress(Exception):
                await self.execute(
                    *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names.values())
                )


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


# ---------------------------------------------------------------- processes


@dataclass
class Node:
    """One ``orbit serve <service>`` process (a replica)."""

    service: str
    replica: int
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        return f"{self.service}-{self.replica}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, chars: int = 2500) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return text[-chars:]


class Cluster:
    """The services of one scenario as real processes on the suite's servers."""

    def __init__(
        self, env: dict[str, str], logs: Path, replicas: int = 1, services: Sequence[str] = SERVICES
    ) -> None:
        self.env = env
        self.logs = logs
        self.nodes: dict[str, list[Node]] = {
            svc: [Node(svc, r, free_port(), logs / f"{svc}-{r}.log") for r in range(replicas)]
            for svc in services
        }
        self._outputs: list[Any] = []

    def node(self, service: str, replica: int = 0) -> Node:
        return self.nodes[service][replica]

    def urls(self, service: str) -> list[str]:
        return [n.url for n in self.nodes[service]]

    def all(self) -> list[Node]:
        return [n for nodes in self.nodes.values() for n in nodes]

    def launch(self, node: Node) -> None:
        node.starts += 1
        out = (node.log).open("ab")
        out.write(f"\n===== start {node.starts} =====\n".encode())
        out.flush()
        self._outputs.append(out)
        node.proc = subprocess.Popen(
            [ORBIT, "serve", node.service, "--port", str(node.port)],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    async def ready(self, nodes: Iterable[Node] | None = None, timeout: float = 180) -> None:
        """Every node (default: all) answers ``/readyz`` 200."""
        pending = list(nodes if nodes is not None else self.all())
        deadline = time.monotonic() + timeout
        last: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=5) as http:
            while pending:
                for node in list(pending):
                    assert node.proc is not None
                    if node.proc.poll() is not None:
                        raise AssertionError(f"{node.name} exited:\n{node.tail()}")
                    try:
                        response = await http.get(f"{node.url}/readyz")
                    except httpx.TransportError as exc:
                        last[node.name] = repr(exc)
                        continue
                    last[node.name] = f"{response.status_code} {response.text[:300]}"
                    if response.status_code == 200:
                        pending.remove(node)
                if pending and time.monotonic() > deadline:
                    raise AssertionError(
                        f"not ready after {timeout}s: {[n.name for n in pending]}\n"
                        + "\n".join(
                            f"--- {n.name} (/readyz: {last.get(n.name)})\n{n.tail()}"
                            for n in pending
                        )
                    )
                if pending:
                    await asyncio.sleep(0.3)

    async def start(self) -> None:
        for node in self.all():
            self.launch(node)
        await self.ready()

    def kill(self, node: Node, sig: int = signal.SIGKILL) -> None:
        assert node.proc is not None and node.proc.poll() is None, f"{node.name} is not running"
        node.proc.send_signal(sig)
        node.proc.wait(timeout=30)

    async def restart(self, node: Node) -> None:
        self.launch(node)
        await self.ready([node])

    def stop(self) -> None:
        for node in self.all():
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGTERM)
        for node in self.all():
            if node.proc is None:
                continue
            try:
                node.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()
        for out in self._outputs:
            out.close()
        self._outputs.clear()

    def tails(self, chars: int = 1500) -> str:
        return "\n".join(f"--- {n.name} (log tail)\n{n.tail(chars)}" for n in self.all())


def cluster_env(
    bootstrap: str, databases: dict[str, str], smtp: SmtpServer, **extra: str
) -> dict[str, str]:
    return base_env(
        ORBIT_KAFKA_BOOTSTRAP=bootstrap,
        ORBIT_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        ORBIT_NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK="true",
        ORBIT_NOTIFICATIONS_DELIVERY_POLL_SECONDS="0.2",
        # A delivery claimed by a process that was killed is taken up again after this.
        ORBIT_NOTIFICATIONS_DELIVERY_CLAIM_SECONDS="5",
        ORBIT_LOG_LEVEL="INFO",  # a line per request, with its time
        **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in databases.items()},
        **extra,
    )


# ---------------------------------------------------------------- the world of a scenario


@dataclass
class World:
    """Staff, clients and the webhook of a scenario, made over the API."""

    manager_id: str
    manager_email: str
    client_ids: list[str]
    webhook_secret: str

    @property
    def manager(self) -> dict[str, str]:
        return auth(self.manager_id, "manager")


async def make_world(cluster: Cluster, receiver: Receiver, clients: int = 6) -> World:
    """A manager with ``clients`` clients (spread over the partitions: the key is the client),
    a webhook for ``invoice.overdue``; returns once billing and notifications know them."""
    admin = auth(uuid.uuid4(), "admin")
    tag = uuid.uuid4().hex[:8]
    # The webhook first: another replica of notifications sees a new subscription within
    # CACHE_SECONDS (5 s, documented), so the load starts no sooner than that after it.
    async with httpx.AsyncClient(base_url=cluster.urls("notifications")[0], timeout=15) as api:
        hook = await api.post(
            "/api/v1/webhooks",
            headers=admin,
            json={"url": f"http://127.0.0.1:{receiver.port}/orbit", "event_types": [OVERDUE]},
        )
        assert hook.status_code == 201, hook.text
    subscribed_at = time.monotonic()
    async with httpx.AsyncClient(base_url=cluster.urls("clients")[0], timeout=15) as api:
        email = f"mia.{tag}@example.com"
        response = await api.post(
            "/api/v1/staff",
            headers=admin,
            json={"name": "Mia", "email": email, "role": "manager", "department": "north"},
        )
        assert response.status_code == 201, response.text
        manager_id = response.json()["id"]
        client_ids = []
        for n in range(clients):
            response = await api.post(
                "/api/v1/clients",
                headers=admin,
                json={"name": f"Client {n} {tag}", "account_manager_id": manager_id},
            )
            assert response.status_code == 201, response.text
            client_ids.append(response.json()["id"])
    async with httpx.AsyncClient(base_url=cluster.urls("notifications")[0], timeout=15) as api:
        world = World(manager_id, email, client_ids, hook.json()["secret"])
        deadline = time.monotonic() + 60
        while (await api.get("/api/v1/notifications", headers=world.manager)).status_code != 200:
            assert time.monotonic() < deadline, "notifications never learnt the manager\n" + (
                cluster.tails()
            )
            await asyncio.sleep(0.2)
    async with httpx.AsyncClient(timeout=15) as api:
        for url in cluster.urls("billing"):
            for client_id in client_ids:
                deadline = time.monotonic() + 60
                path = f"{url}/api/v1/clients/{client_id}/credit"
                while (await api.get(path, headers=world.manager)).status_code != 200:
                    assert time.monotonic() < deadline, "billing never learnt the clients\n" + (
                        cluster.tails()
                    )
                    await asyncio.sleep(0.2)
    await asyncio.sleep(max(subscribed_at + CACHE_SECONDS + 0.5 - time.monotonic(), 0))
    return world


# ---------------------------------------------------------------- the load


@dataclass
class Write:
    op: str  # "draft" or "issue"
    url: str
    status: int | str  # the HTTP status, or "timeout" / the transport error's name
    seconds: float
    content_type: str = ""
    body: str = ""
    at: float = 0.0  # monotonic time it was sent
    retry_after: str = ""

    @property
    def accepted(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


@dataclass
class Load:
    """Invoices drafted and issued (due in the past) at ``rate`` per second, spread over the
    billing URLs in turn, until stopped. Every response is kept; an invoice whose issue was
    accepted (2xx) is expected to become one alert, one email and one webhook."""

    urls: list[str]
    world: World
    rate: float = 4.0
    timeout: float = 15.0  # a request that takes longer is a hang
    writes: list[Write] = field(default_factory=list)
    issued: dict[str, str] = field(default_factory=dict)  # invoice id -> number (2xx issues)
    unsure: set[str] = field(default_factory=set)  # issues without an answer (killed server)
    drafted: list[str] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def _post(
        self, http: httpx.AsyncClient, op: str, url: str, path: str, body: dict[str, Any]
    ) -> tuple[Write, dict[str, Any] | None]:
        began = time.monotonic()
        try:
            response = await http.post(
                url + path, json=body, headers=self.world.manager, timeout=self.timeout
            )
        except httpx.TimeoutException:
            write = Write(op, url, "timeout", time.monotonic() - began, at=began)
            self.writes.append(write)
            return write, None
        except httpx.TransportError as exc:
            write = Write(op, url, type(exc).__name__, time.monotonic() - began, at=began)
            self.writes.append(write)
            return write, None
        write = Write(
            op,
            url,
            response.status_code,
            time.monotonic() - began,
            response.headers.get("content-type", ""),
            response.text[:500],
            at=began,
            retry_after=response.headers.get("retry-after", ""),
        )
        self.writes.append(write)
        return write, (response.json() if write.accepted else None)

    async def one(self, http: httpx.AsyncClient, n: int) -> None:
        url = self.urls[n % len(self.urls)]
        client_id = self.world.client_ids[n % len(self.world.client_ids)]
        _draft, invoice = await self._post(
            http,
            "draft",
            url,
            "/api/v1/invoices",
            {
                "client_id": client_id,
                "currency": "EUR",
                "lines": [{"description": f"Work {n}", "quantity": "1", "unit_price": "100.00"}],
            },
        )
        if invoice is None:
            return
        self.drafted.append(invoice["id"])
        issue, issued = await self._post(
            http,
            "issue",
            url,
            f"/api/v1/invoices/{invoice['id']}/issue",
            overdue_issue(),
        )
        if issued is not None:
            self.issued[issued["id"]] = issued["number"]
        elif not isinstance(issue.status, int):
            self.unsure.add(invoice["id"])

    async def _run(self) -> None:
        began = time.monotonic()
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64)) as http:
            n = 0
            while not self._stop.is_set():
                task = asyncio.ensure_future(self.one(http, n))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stop.wait(), max(began + n / self.rate - time.monotonic(), 0)
                    )
            if tasks:
                await asyncio.gather(*tasks)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task

    async def settle_unsure(self) -> None:
        """Issues that got no answer (the server was killed): what the database says."""
        async with httpx.AsyncClient(timeout=15) as http:
            for invoice_id in sorted(self.unsure):
                response = await http.get(
                    f"{self.urls[0]}/api/v1/invoices/{invoice_id}", headers=self.world.manager
                )
                assert response.status_code == 200, response.text
                if response.json()["number"]:
                    self.issued[invoice_id] = response.json()["number"]

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> Counter[str]:
        return Counter(str(w.status) for w in self.writes if since <= w.at < until)

    @property
    def accepted(self) -> int:
        return sum(w.accepted for w in self.writes)

    @property
    def slowest(self) -> float:
        return max((w.seconds for w in self.writes if w.accepted), default=0.0)

    def timeline(self) -> str:
        """Per second of the run: the statuses and the slowest answer (for failure messages)."""
        if not self.writes:
            return "no writes"
        start = min(w.at for w in self.writes)
        seconds: dict[int, list[Write]] = {}
        for w in self.writes:
            seconds.setdefault(int(w.at - start), []).append(w)
        return "\n".join(
            f"  +{second:3d}s {dict(Counter(str(w.status) for w in ws))} "
            f"slowest {max(w.seconds for w in ws):.1f}s"
            for second, ws in sorted(seconds.items())
        )


# ---------------------------------------------------------------- what happened


@dataclass
class Effects:
    """Per invoice number, how many of each effect exist."""

    expected: set[str]
    feed: Counter[str]
    email: Counter[str]
    webhook: Counter[str]  # distinct webhook-id per number
    webhook_copies: int  # webhook requests beyond one per webhook-id (at least once)
    email_copies: int  # emails beyond one per Message-ID (at least once)

    def only(self, numbers: Iterable[str]) -> Effects:
        """The effects of some of the invoices (a phase of a scenario)."""
        keep = set(numbers)

        def part(counter: Counter[str]) -> Counter[str]:
            return Counter({k: v for k, v in counter.items() if k in keep})

        return Effects(
            self.expected & keep,
            part(self.feed),
            part(self.email),
            part(self.webhook),
            self.webhook_copies,
            self.email_copies,
        )

    def channels(self) -> dict[str, Counter[str]]:
        return {"feed": self.feed, "email": self.email, "webhook": self.webhook}

    @property
    def observed(self) -> int:
        return sum(sum(c.values()) for c in self.channels().values())

    @property
    def lost(self) -> int:
        return sum(len(self.expected - set(c)) for c in self.channels().values())

    @property
    def duplicated(self) -> int:
        return sum(sum(n - 1 for n in c.values() if n > 1) for c in self.channels().values()) + sum(
            len(set(c) - self.expected) for c in self.channels().values()
        )

    def describe(self) -> str:
        parts = []
        for name, counter in self.channels().items():
            missing = sorted(self.expected - set(counter))
            twice = sorted(k for k, v in counter.items() if v > 1)
            extra = sorted(set(counter) - self.expected)
            parts.append(
                f"{name}: {sum(counter.values())} for {len(counter)} invoices; "
                f"missing {missing[:10]}{'…' if len(missing) > 10 else ''}; "
                f"twice {twice[:10]}; unexpected {extra[:10]}"
            )
        return "\n".join(parts)


async def count_effects(
    expected: Iterable[str],
    databases: dict[str, str],
    smtp: SmtpServer,
    receiver: Receiver,
    world: World,
) -> Effects:
    feed: Counter[str] = Counter()
    rows = await query(
        databases["notifications"],
        "SELECT title FROM notifications WHERE type = $1 AND recipient_id = $2",
        OVERDUE,
        uuid.UUID(world.manager_id),
    )
    for row in rows:
        feed.update(NUMBER.findall(row["title"])[:1])
    email: Counter[str] = Counter()
    seen_ids: Counter[str] = Counter()
    for message in list(smtp.inbox.messages):
        if str(message["To"]) != world.manager_email:
            continue
        seen_ids[str(message["Message-ID"])] += 1
        if seen_ids[str(message["Message-ID"])] == 1:
            email.update(NUMBER.findall(str(message["Subject"]))[:1])
    webhook: Counter[str] = Counter()
    hook_ids: Counter[str] = Counter()
    for _line, headers, body in list(receiver.requests):
        event = json.loads(body)
        if event.get("type") != OVERDUE:
            continue
        hook_ids[headers.get("webhook-id", "")] += 1
        if hook_ids[headers.get("webhook-id", "")] == 1:
            webhook[event["data"]["number"]] += 1
    return Effects(
        set(expected),
        feed,
        email,
        webhook,
        webhook_copies=sum(n - 1 for n in hook_ids.values()),
        email_copies=sum(n - 1 for n in seen_ids.values()),
    )


async def quiet(broker: Broker, databases: dict[str, str]) -> str:
    """What still moves: unsent outbox rows, deliveries not done, consumer lag ('' when
    nothing)."""
    moving = []
    for svc, url in databases.items():
        (row,) = await query(url, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
        if row["n"]:
            moving.append(f"{svc}: {row['n']} unsent outbox rows")
    (row,) = await query(
        databases["notifications"],
        "SELECT count(*) AS n FROM deliveries"
        " WHERE status = 'pending' AND next_attempt_at <= now()",
    )
    if row["n"]:
        moving.append(f"{row['n']} deliveries due")
    for group, lag in (await broker.lag()).items():
        if lag:
            moving.append(f"group {group} lags {lag}")
    return "; ".join(moving)


async def observe(
    expected: Iterable[str],
    databases: dict[str, str],
    broker: Broker,
    cluster: Cluster,
    smtp: SmtpServer,
    receiver: Receiver,
    world: World,
    timeout: float = 120,
) -> Effects:
    """Wait until every expected effect exists and nothing moves any more (outbox sent,
    deliveries done, consumers caught up), then count."""
    expected = set(expected)
    deadline = time.monotonic() + timeout
    told = time.monotonic()
    while True:
        effects = await count_effects(expected, databases, smtp, receiver, world)
        if time.monotonic() - told > 5:
            told = time.monotonic()
            phase(
                f"observing: {len(expected)} invoices; "
                + ", ".join(f"{k} {len(c)}" for k, c in effects.channels().items())
            )
        if all(expected <= set(c) for c in effects.channels().values()):
            moving = await quiet(broker, databases)
            if not moving:
                return await count_effects(expected, databases, smtp, receiver, world)
        else:
            moving = "effects missing"
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not settled after {timeout}s ({moving}):\n{effects.describe()}\n"
                + cluster.tails()
            )
        await asyncio.sleep(0.5)


async def dead_letters(databases: dict[str, str]) -> dict[str, int]:
    counts = {}
    for svc, url in databases.items():
        (row,) = await query(url, "SELECT count(*) AS n FROM dead_letters")
        counts[svc] = int(row["n"])
    return counts


# ---------------------------------------------------------------- the report


@dataclass
class Row:
    scenario: str
    writes: int  # requests sent
    accepted: int  # 2xx
    refused: int  # 503 (the database away)
    expected: int
    observed: int
    lost: int
    duplicated: int
    note: str = ""


HEADER = (
    "| scenario | writes (2xx / sent) | refused 503 | expected effects | observed | lost "
    "| duplicated | notes |\n|---|---|---|---|---|---|---|---|"
)


def row_line(row: Row) -> str:
    return (
        f"| {row.scenario} | {row.accepted} / {row.writes} | {row.refused} | {row.expected} "
        f"| {row.observed} | {row.lost} | {row.duplicated} | {row.note} |"
    )


def make_row(scenario: str, load: Load, effects: Effects, note: str = "") -> Row:
    copies = ""
    if effects.email_copies or effects.webhook_copies:
        copies = (
            f"; resent after a crash: {effects.email_copies} emails, "
            f"{effects.webhook_copies} webhooks (same Message-ID / webhook-id)"
        )
    return Row(
        scenario=scenario,
        writes=len(load.writes),
        accepted=load.accepted,
        refused=sum(w.status == 503 for w in load.writes),
        expected=3 * len(effects.expected),
        observed=effects.observed,
        lost=effects.lost,
        duplicated=effects.duplicated,
        note=note + copies,
    )


async def overdue_events(broker: Broker, invoices: dict[str, str]) -> dict[str, list[str]]:
    """The ``invoice.overdue`` records on Kafka of ``invoices`` (id -> number; the topic also
    holds earlier scenarios'): per invoice number, the event id of each record."""
    found: dict[str, list[str]] = {}
    for event in await broker.records("orbit.billing"):
        invoice_id = event.get("data", {}).get("invoice_id")
        if event.get("type") == OVERDUE and invoice_id in invoices:
            found.setdefault(invoices[invoice_id], []).append(event["id"])
    return found


async def metric(url: str, name: str) -> float:
    """The sum of a Prometheus counter of one process (all its label sets)."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )
