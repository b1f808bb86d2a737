"""The escalation chain on PostgreSQL with an injected clock: an unacknowledged SLA breach
climbs manager -> head -> head's head, one step per ``escalate_after``, each step once
(however often and however many scanners run), ``alert.escalated.v1`` with its level, an
email to each head; an acknowledgement at any level stops the climb."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.notifications.handlers.escalation import escalate
from shared.uow import UnitOfWorkFactory
from tests.integration.notifications.helpers import NOW, Notif, Person, sla_breached
from tests.support.outbox import outbox_events

ESCALATED = "orbit.notifications.alert.escalated.v1"
BREACHED = "orbit.interactions.sla.breached.v1"


async def line(notif: Notif) -> tuple[Person, Person, Person, Person]:
    carl = await notif.staff("Carl", role="head")
    dora = await notif.staff("Dora", role="head", head=carl)
    hanna = await notif.staff("Hanna", role="head", head=dora, locale="ru")
    ida = await notif.staff("Ida", head=hanna)
    return ida, hanna, dora, carl


async def scan(notif: Notif) -> dict[str, int]:
    """The escalation scan's count of one scheduler round (the service's other jobs aside)."""
    done = await notif.runtime.scheduler.run_once()
    return {"escalations": done["escalations"]}


async def test_climbs_one_level_per_period_each_once_until_acknowledged(notif: Notif) -> None:
    ida, hanna, dora, carl = await line(notif)
    client = await notif.client("Initech", ida)
    alert = await notif.deliver(BREACHED, sla_breached(client, ida, hanna))

    notif.clock.set(NOW + timedelta(hours=3, minutes=59))
    assert await scan(notif) == {"escalations": 0}
    notif.clock.set(NOW + timedelta(hours=4))
    assert await scan(notif) == {"escalations": 1}
    assert await scan(notif) == {"escalations": 0}  # once

    [first] = await notif.feed(hanna)
    assert first["type"] == BREACHED and first["severity"] == "critical"
    assert first["title"] == "Эскалация (уровень 1): SLA breached: Initech"
    [event] = await outbox_events(notif.runtime, ESCALATED)
    assert event["level"] == 1
    assert (event["from_staff_id"], event["to_staff_id"]) == (str(ida.id), str(hanna.id))
    assert event["alert_event_id"] == str(alert.id) and event["client_id"] == str(client)
    assert [d.address for d in await notif.deliveries(channel="email", recipient_id=hanna.id)] == [
        hanna.email
    ]

    notif.clock.set(NOW + timedelta(hours=8))
    assert await scan(notif) == {"escalations": 1}
    [second] = await notif.feed(dora)
    assert second["title"].startswith("Escalated (level 2)")
    assert [e["level"] for e in await outbox_events(notif.runtime, ESCALATED)] == [1, 2]

    # Dora acknowledges: the climb stops there, Carl hears nothing.
    response = await notif.http.post(
        f"/api/v1/notifications/{second['id']}/ack", headers=dora.headers
    )
    assert response.status_code == 200
    notif.clock.set(NOW + timedelta(days=2))
    assert await scan(notif) == {"escalations": 0}
    assert await notif.feed(carl) == []


async def test_acknowledged_in_time_never_climbs(notif: Notif) -> None:
    ida, hanna, _, _ = await line(notif)
    client = await notif.client("Initech", ida)
    await notif.deliver(BREACHED, sla_breached(client, ida, hanna))
    [entry] = [n for n in await notif.feed(ida) if n["type"] == BREACHED]
    notif.clock.set(NOW + timedelta(hours=1))
    ack = await notif.http.post(f"/api/v1/notifications/{entry['id']}/ack", headers=ida.headers)
    assert ack.status_code == 200
    notif.clock.set(NOW + timedelta(days=3))
    assert await scan(notif) == {"escalations": 0}
    assert await notif.feed(hanna) == []
    assert await outbox_events(notif.runtime, ESCALATED) == []


async def test_the_top_of_the_line_and_rules_without_escalation(notif: Notif) -> None:
    carl = await notif.staff("Carl", role="head")  # no head above
    client = await notif.client("Initech", carl)
    await notif.deliver(BREACHED, sla_breached(client, carl, carl))
    await notif.deliver(
        "orbit.interactions.sla.at_risk.v1",  # no escalate_after by default
        sla_breached(client, carl, carl),
    )
    notif.clock.set(NOW + timedelta(days=3))
    assert await scan(notif) == {"escalations": 0}
    assert len(await notif.feed(carl)) == 3  # client.created, breach, at risk: nothing more


async def test_racing_scanners_climb_each_step_once(notif: Notif) -> None:
    ida, hanna, dora, _ = await line(notif)
    client = await notif.client("Initech", ida)
    for _ in range(5):
        await notif.deliver(BREACHED, sla_breached(client, ida, hanna))
    others = [
        UnitOfWorkFactory(notif.runtime.sessions, notif.clock) for _ in range(3)
    ]  # three scanners sharing the database
    for hours in (4, 8):
        at = NOW + timedelta(hours=hours)
        notif.clock.set(at)
        counts = await asyncio.gather(*(escalate(f, at, batch_size=2) for f in others))
        assert sum(counts) == 5
        assert sum(await asyncio.gather(*(escalate(f, at, batch_size=2) for f in others))) == 0
    assert len(await notif.feed(hanna)) == 5 and len(await notif.feed(dora)) == 5
    levels = [e["level"] for e in await outbox_events(notif.runtime, ESCALATED)]
    assert sorted(levels) == [1] * 5 + [2] * 5
