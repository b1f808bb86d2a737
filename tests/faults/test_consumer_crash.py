"""Issue 14, fault 2: the notifications service (the consumer of billing's alerts, and the
sender of their emails and webhooks) is killed with SIGKILL in the middle of a batch and
restarted, twice, under a steady load of writes: no effect is lost, none is doubled."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.conftest import StartScenario
from tests.faults.harness import Load, Row, dead_letters, make_row, observe, phase, query

pytestmark = pytest.mark.faults


async def _inbox(url: str) -> int:
    (row,) = await query(url, "SELECT count(*) AS n FROM inbox")
    return int(row["n"])


async def test_consumer_killed_mid_batch(start_scenario: StartScenario, report: list[Row]) -> None:
    s = await start_scenario()
    notifications = s.cluster.node("notifications")
    load = Load(s.cluster.urls("billing"), s.world, rate=3)
    load.start()
    await asyncio.sleep(2)
    # The consumer down while billing goes on: a backlog builds up on Kafka ...
    s.cluster.kill(notifications)
    phase("notifications killed")
    before = await _inbox(s.databases["notifications"])
    await asyncio.sleep(6)
    # ... and it is killed again as soon as it has applied part of it: mid-batch (it fetches
    # up to 500 records at once and commits their offsets after them, so what it applied is
    # read again by the next process).
    s.cluster.launch(notifications)
    deadline = time.monotonic() + 120
    while (applied := await _inbox(s.databases["notifications"]) - before) <= 0:
        assert notifications.proc is not None and notifications.proc.poll() is None, (
            notifications.tail()
        )
        assert time.monotonic() < deadline, "the restarted consumer applies nothing"
        await asyncio.sleep(0.02)
    s.cluster.kill(notifications)
    lag = sum((await s.broker.lag()).values())
    phase(f"notifications killed mid-batch: {applied} applied, {lag} not committed")
    await s.cluster.restart(notifications)
    phase("notifications restarted")
    await asyncio.sleep(2)
    await load.stop()
    phase("load stopped")

    assert load.accepted == len(load.writes), load.statuses()  # billing was never touched
    effects = await observe(
        load.issued.values(), s.databases, s.broker, s.cluster, s.smtp, s.receiver, s.world
    )
    phase("observed")
    report.append(
        make_row(
            "2. consumer (notifications) kill -9 mid-batch, restarted",
            load,
            effects,
            f"killed twice, the second time after applying {applied} event(s) of a backlog "
            f"(group lag {lag})",
        )
    )
    assert (effects.lost, effects.duplicated) == (0, 0), effects.describe()
    assert not any((await dead_letters(s.databases)).values())
