"""Fixtures of the process-level fault scenarios: the suite's own Kafka broker and PostgreSQL
(deploy/local instances ``faults``, never the shared ones), a real SMTP server and webhook
receiver per scenario, and the four services as real processes. Each scenario adds a row to
the report, written to ``var/faults-report.md`` and shown at the end of the run."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.harness import (
    HEADER,
    Broker,
    Cluster,
    Postgres,
    Row,
    World,
    cluster_env,
    make_world,
    phase,
    row_line,
)
from tests.integration.notifications.test_email_smtp import SmtpServer
from tests.integration.notifications.test_webhooks import Receiver
from tests.support.servers import ROOT

REPORT: list[Row] = []
REPORT_FILE = ROOT / "var" / "faults-report.md"
LOGS = ROOT / "var" / "faults"  # the processes' logs of the last run of each scenario


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed


FAILED = pytest.StashKey[bool]()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.write_sep("-", "faults: per scenario")
        terminalreporter.write_line(HEADER)
        for row in sorted(REPORT, key=lambda r: r.scenario):
            terminalreporter.write_line(row_line(row))


@pytest.fixture(scope="session")
def report() -> Iterator[list[Row]]:
    yield REPORT
    if REPORT:
        REPORT_FILE.parent.mkdir(exist_ok=True)
        REPORT_FILE.write_text(
            "# Faults: per scenario (tests/faults)\n\n"
            + HEADER
            + "\n"
            + "\n".join(row_line(r) for r in sorted(REPORT, key=lambda r: r.scenario))
            + "\n"
        )


@pytest.fixture(scope="session")
async def faults_servers() -> AsyncIterator[tuple[Postgres, Broker]]:
    """The private PostgreSQL (templates migrated) and a fresh broker, made side by side."""
    postgres, broker = Postgres(), Broker()

    async def database() -> None:
        postgres.start()
        await postgres.migrate_templates()

    await asyncio.gather(database(), asyncio.to_thread(broker.reset))
    phase("postgres started and templates migrated; broker reset")
    yield postgres, broker
    broker.stop()
    await postgres.drop_templates()
    postgres.stop()


@pytest.fixture
def faults_postgres(faults_servers: tuple[Postgres, Broker]) -> Postgres:
    return faults_servers[0]


@pytest.fixture
def faults_broker(faults_servers: tuple[Postgres, Broker]) -> Broker:
    return faults_servers[1]


@pytest.fixture
async def broker(faults_broker: Broker, request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    """The suite's broker, empty or left with every consumer group caught up by the scenario
    before (else reset: a fresh, empty broker)."""
    if faults_broker.dirty:
        phase("broker reset")
        faults_broker.reset()
    phase("broker ready")
    yield faults_broker
    faults_broker.thaw()
    clean = not request.node.stash.get(FAILED, True)
    if clean:
        try:
            faults_broker.start()  # a scenario may have left it killed
            clean = not any((await faults_broker.lag()).values())
        except Exception:
            clean = False
    faults_broker.dirty = not clean


@dataclass
class Scenario:
    broker: Broker
    postgres: Postgres
    smtp: SmtpServer
    receiver: Receiver
    databases: dict[str, str]
    cluster: Cluster
    world: World


StartScenario = Callable[..., Awaitable[Scenario]]


@pytest.fixture
async def start_scenario(
    broker: Broker,
    faults_postgres: Postgres,
    smtp: SmtpServer,
    receiver: Receiver,
    request: pytest.FixtureRequest,
    report: list[Row],
) -> AsyncIterator[StartScenario]:
    """``await start_scenario(replicas=1)``: fresh databases, the services running (and
    ready), a manager with clients and a webhook known everywhere."""
    logs = LOGS / request.node.name
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    async with AsyncExitStack() as stack:

        async def start(replicas: int = 1, **env: str) -> Scenario:
            phase("scenario: databases")
            databases = await stack.enter_async_context(faults_postgres.databases())
            cluster = Cluster(cluster_env(broker.bootstrap, databases, smtp, **env), logs, replicas)
            stack.callback(cluster.stop)
            phase("scenario: starting the services")
            await cluster.start()
            phase("scenario: services ready")
            world = await make_world(cluster, receiver)
            phase("scenario: world made")
            return Scenario(broker, faults_postgres, smtp, receiver, databases, cluster, world)

        yield start
