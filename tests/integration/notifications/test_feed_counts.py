"""The feed a UI lists, counts and clears, on SQLite and PostgreSQL: filters by client, type
and severity, oldest-first sort, ``/count`` (the badge), ``/read-all`` (only the caller's
own, only up to ``before``), and the delivery log's filters, sort, total and export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.notifications.store.repository import DELIVERY_SORTS
from tests.integration.notifications.helpers import (
    ADMIN,
    Notif,
    Person,
    invoice_data,
    sla_breached,
)
from tests.support.lists import all_items, exported, sorts_read_their_indexes

FEED = "/api/v1/notifications"
SLA = "orbit.interactions.sla.breached.v1"
OVERDUE = "orbit.billing.invoice.overdue.v1"


async def _get(notif: Notif, person: Person, path: str, **params: Any) -> Any:
    response = await notif.http.get(path, params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_filters_count_sort_and_read_all(any_notif: Notif) -> None:
    notif = any_notif
    ida, max_ = await notif.staff("Ida"), await notif.staff("Max")
    initech, globex = await notif.client("Initech", ida), await notif.client("Globex", ida)
    await notif.client("Hooli", max_)
    notif.clock.advance(timedelta(minutes=1))
    await notif.deliver(SLA, sla_breached(initech, ida))
    notif.clock.advance(timedelta(minutes=1))
    await notif.deliver(OVERDUE, invoice_data(globex, ida))
    shown = notif.clock.now()
    notif.clock.advance(timedelta(minutes=1))
    await notif.deliver(SLA, sla_breached(globex, ida))

    everything = (await _get(notif, ida, FEED))["items"]
    assert len(everything) == 5  # two clients created, three alerts
    oldest_first = (await _get(notif, ida, FEED, sort="created_at"))["items"]
    assert oldest_first == everything[::-1]
    about_globex = (await _get(notif, ida, FEED, client_id=str(globex)))["items"]
    assert {n["client_id"] for n in about_globex} == {str(globex)} and len(about_globex) == 3
    breaches = (await _get(notif, ida, FEED, type=SLA))["items"]
    assert [n["client_id"] for n in breaches] == [str(globex), str(initech)]
    severity = breaches[0]["severity"]
    same = (await _get(notif, ida, FEED, severity=severity))["items"]
    assert same and {n["severity"] for n in same} == {severity}
    bad = await notif.http.get(FEED, params={"severity": "loud"}, headers=ida.headers)
    assert bad.status_code == 422

    count = f"{FEED}/count"
    assert await _get(notif, ida, count, unread="true") == {"count": 5, "capped": False}
    assert (await _get(notif, ida, count, type=SLA, client_id=str(globex)))["count"] == 1
    assert (await _get(notif, max_, count, unread="true"))["count"] == 1

    # What the UI showed (up to ``shown``) is marked read; the later breach stays unread.
    read_all = f"{FEED}/read-all"
    response = await notif.http.post(
        read_all, params={"before": shown.isoformat()}, headers=ida.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"updated": 4}
    unread = (await _get(notif, ida, FEED, unread="true"))["items"]
    assert [n["type"] for n in unread] == [SLA] and unread[0]["client_id"] == str(globex)
    assert (await _get(notif, max_, count, unread="true"))["count"] == 1  # not Max's
    first_read = (await _get(notif, ida, FEED, unread="false"))["items"][0]["read_at"]

    notif.clock.advance(timedelta(minutes=1))
    again = await notif.http.post(read_all, headers=ida.headers)
    assert again.json() == {"updated": 1}
    assert (await notif.http.post(read_all, headers=ida.headers)).json() == {"updated": 0}
    assert (await _get(notif, ida, count, unread="true"))["count"] == 0
    kept = [n for n in (await _get(notif, ida, FEED))["items"] if n["read_at"] == first_read]
    assert len(kept) == 4  # the first read time stays
    assert (await _get(notif, max_, count, unread="true"))["count"] == 1

    # The delivery log (admins): the alert emails by client, type and severity.
    deliveries = "/api/v1/deliveries"
    every = (await _get(notif, _admin(), deliveries))["items"]
    assert every
    by_client = (await _get(notif, _admin(), deliveries, client_id=str(initech)))["items"]
    assert by_client and {d["client_id"] for d in by_client} == {str(initech)}
    by_type = (await _get(notif, _admin(), deliveries, type=OVERDUE))["items"]
    assert by_type and {d["event_type"] for d in by_type} == {OVERDUE}
    by_severity = (await _get(notif, _admin(), deliveries, severity=severity))["items"]
    stored = await notif.deliveries(severity=severity)
    assert by_severity and {d["id"] for d in by_severity} <= {str(d.id) for d in stored}
    none = await _get(notif, _admin(), deliveries, client_id=str(initech), type=OVERDUE)
    assert none["items"] == []
    forbidden = await notif.http.get(deliveries, params={"type": SLA}, headers=ida.headers)
    assert forbidden.status_code == 403
    # sorted oldest first through its cursors, counted, and as a file
    oldest = await all_items(notif.http, deliveries, sort="created_at")
    assert [d["id"] for d in oldest] == [d["id"] for d in every][::-1]
    counted = await _get(notif, _admin(), deliveries, total="true", limit=1)
    assert (counted["total"], counted["total_capped"]) == (len(every), False)
    rows = await exported(notif.http, deliveries, "csv", client_id=str(initech))
    assert [r["id"] for r in rows] == [d["id"] for d in by_client]
    assert "history" not in rows[0] and rows[0]["event_type"] == by_client[0]["event_type"]


def _admin() -> Person:
    return Person(id=None, headers=ADMIN, email="")  # type: ignore[arg-type]


async def test_the_delivery_log_s_sort_reads_its_index(notif: Notif) -> None:
    async with notif.runtime.sessions() as session:
        await sorts_read_their_indexes(session, DELIVERY_SORTS)
