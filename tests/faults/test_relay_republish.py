"""Issue 14, fault 6 (first half): a relay killed between Kafka's acknowledgement and marking
its rows sent publishes that batch again; the consumers apply each event once.

How the window is hit, honestly: a kill at a random moment rarely lands in it (the relay marks
a batch in the same transaction right after the acknowledgement, a few milliseconds), so the
test makes its outcome deterministic. The billing process (its relay included) is killed with
SIGKILL under load; while it is dead, every outbox row its relay had published and Kafka had
acknowledged is marked unsent again (``sent_at = NULL``): exactly the state such a crash
leaves, for every batch at once. Restarted, the relay publishes them all again. The test
checks that the copies really are on Kafka (each event id twice), that the notifications
consumer saw and skipped them (``orbit_events_duplicate_total``), and that every alert, email
and webhook still exists once. Writes in flight at the kill are settled by reading the invoice
back (an issue that got no answer counts if the database has it)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from tests.faults.conftest import StartScenario
from tests.faults.harness import (
    OVERDUE,
    Load,
    Row,
    dead_letters,
    make_row,
    metric,
    observe,
    overdue_events,
    phase,
    query,
)

pytestmark = pytest.mark.faults


async def test_relay_publishes_a_batch_again_consumers_apply_once(
    start_scenario: StartScenario, report: list[Row]
) -> None:
    s = await start_scenario()
    billing = s.cluster.node("billing")
    load = Load(s.cluster.urls("billing"), s.world, rate=3)
    load.start()
    await asyncio.sleep(6)
    s.cluster.kill(billing)
    phase("billing killed")
    rows = await query(
        s.databases["billing"],
        "UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL RETURNING event_type",
    )
    again = Counter(r["event_type"] for r in rows)
    assert again[OVERDUE] > 5, again  # overdue alerts among the rows published again
    await s.cluster.restart(billing)
    phase(f"billing restarted; {len(rows)} published rows marked unsent: {dict(again)}")
    await asyncio.sleep(3)
    await load.stop()
    phase(f"load stopped: {load.statuses()}")
    assert all(w.accepted or not isinstance(w.status, int) for w in load.writes), (
        load.statuses()
    )  # no 5xx: only connections refused or cut while billing was dead
    await load.settle_unsure()

    effects = await observe(
        load.issued.values(), s.databases, s.broker, s.cluster, s.smtp, s.receiver, s.world
    )
    phase("observed")
    # The copies on Kafka: each republished overdue alert a second time, same event id.
    deadline = time.monotonic() + 30
    while True:
        announced = await overdue_events(s.broker, load.issued)
        copies = sum(len(ids) - len(set(ids)) for ids in announced.values())
        if copies >= again[OVERDUE] or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    skipped = await metric(s.cluster.node("notifications").url, "orbit_events_duplicate_total")
    report.append(
        make_row(
            "6a. relay crash between Kafka's ack and marking sent (billing kill -9, "
            "published rows marked unsent)",
            load,
            effects,
            f"{len(rows)} rows published again, {copies} overdue alerts twice on Kafka; "
            f"{skipped:.0f} duplicates skipped by the notifications inbox",
        )
    )
    assert all(len(set(ids)) == 1 for ids in announced.values()), announced
    assert copies >= again[OVERDUE], (copies, again, announced, s.cluster.tails())
    assert skipped >= copies
    assert (effects.lost, effects.duplicated) == (0, 0), effects.describe()
    assert not any((await dead_letters(s.databases)).values())
