"""Issue 14, fault 4: two replicas of every service on the same databases and Kafka (two
relays per outbox, consumers two to a group, two schedulers per service, two delivery
workers), invoices issued concurrently through both billing replicas: each invoice gets its
own number with none skipped or shared, billing announces each overdue invoice once (one
event id on Kafka), and each alert, email and webhook exists once."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.conftest import StartScenario
from tests.faults.harness import (
    Load,
    Row,
    dead_letters,
    make_row,
    observe,
    overdue_events,
    phase,
    query,
)

pytestmark = pytest.mark.faults


async def test_two_replicas_of_everything(start_scenario: StartScenario, report: list[Row]) -> None:
    s = await start_scenario(replicas=2)
    billing = s.cluster.urls("billing")
    assert len(billing) == 2
    load = Load(billing, s.world, rate=5)  # in turn: every other invoice through each replica
    load.start()
    await asyncio.sleep(12)
    await load.stop()
    phase(f"load stopped: {load.statuses()}")
    assert load.accepted == len(load.writes), load.statuses()
    assert {w.url for w in load.writes if w.op == "issue"} == set(billing)

    numbers = sorted(load.issued.values())
    assert len(set(numbers)) == len(numbers), "an invoice number given twice"
    sequence = sorted(int(n.split("-")[1]) for n in numbers)
    assert sequence == list(range(1, len(sequence) + 1)), "an invoice number skipped"
    (row,) = await query(
        s.databases["billing"], "SELECT count(*) AS n FROM invoices WHERE number IS NOT NULL"
    )
    assert row["n"] == len(numbers)

    effects = await observe(numbers, s.databases, s.broker, s.cluster, s.smtp, s.receiver, s.world)
    phase("observed")
    announced = await overdue_events(s.broker, load.issued)
    twice = {n: ids for n, ids in announced.items() if len(set(ids)) > 1}
    report.append(
        make_row(
            "4. two replicas of every service (8 processes)",
            load,
            effects,
            f"{len(numbers)} numbers 1..{len(numbers)}, none skipped or shared; "
            f"{len(twice)} invoices announced overdue twice",
        )
    )
    assert set(announced) == set(numbers) and not twice, twice
    assert (effects.lost, effects.duplicated) == (0, 0), effects.describe()
    assert not any((await dead_letters(s.databases)).values())
