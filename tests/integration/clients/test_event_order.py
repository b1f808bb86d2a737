"""One client's events reach the outbox in commit order: every use case that emits events of
a client locks its row first. Client events carry the client's whole contact list, so a
snapshot taken before a concurrent contact change but published after it would undo that
change in every replica. Checked on the real PostgreSQL with concurrent requests."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.integration.clients.helpers import Api
from tests.support.apps import ADMIN

pytestmark = pytest.mark.integration

CONTACT_KEYS = ("name", "email", "phone", "roles", "preferred_channel")


def entry(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data.get(k) for k in CONTACT_KEYS}


def replay(events: list[tuple[str, dict[str, Any]]], client_id: str) -> dict[str, Any]:
    """The client's contacts as a replica applies the events in ``seq`` order (client events
    replace the list, contact events change one entry), checking that each client event's
    list is what the events before it made."""
    contacts: dict[str, Any] = {}
    for event_type, data in events:
        if data.get("client_id") != client_id:
            continue
        if event_type.startswith("orbit.clients.client."):
            carried = {c["contact_id"]: entry(c) for c in data["contacts"]}
            assert carried == contacts, f"{event_type} carries a stale contact list"
            contacts = carried
        elif event_type.startswith("orbit.clients.contact.deleted"):
            contacts.pop(data["contact_id"], None)
        elif event_type.startswith(
            ("orbit.clients.contact.created", "orbit.clients.contact.updated")
        ):
            contacts[data["contact_id"]] = entry(data)
    return contacts


async def test_client_snapshots_and_contact_changes_publish_in_commit_order(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"])
    base = f"/api/v1/clients/{acme['id']}/contacts"
    first = [
        (await api.http.post(base, headers=ADMIN, json={"name": f"Old {i}"})).json()
        for i in range(4)
    ]

    def patch_client(i: int) -> Any:
        return api.http.patch(
            f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"segment": f"segment {i}"}
        )

    for round_ in range(3):
        calls = []
        for i in range(6):
            calls += [
                patch_client(10 * round_ + i),
                api.http.post(base, headers=ADMIN, json={"name": f"New {round_}.{i}"}),
            ]
        # the last round deletes two of the first contacts and renames the others
        renamed = first[2:] if round_ == 2 else first
        calls += [
            api.http.patch(
                f"/api/v1/contacts/{c['id']}",
                headers=ADMIN,
                json={"name": f"Renamed {round_} {c['id'][:4]}"},
            )
            for c in renamed
        ]
        if round_ == 2:
            calls += [
                api.http.delete(f"/api/v1/contacts/{c['id']}", headers=ADMIN) for c in first[:2]
            ]
        responses = await asyncio.gather(*calls)
        assert all(r.status_code in (200, 201, 204) for r in responses), [
            r.text for r in responses if r.status_code >= 300
        ]

    final = (await api.http.get(f"{base}?limit=500", headers=ADMIN)).json()["items"]
    assert len(final) == 4 + 18 - 2
    replayed = replay(await api.events_all(), acme["id"])
    assert replayed == {c["id"]: entry(c) for c in final}

    # and the last client event, once one follows the burst, carries exactly those
    assert (await patch_client(99)).status_code == 200
    last = (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]
    assert {c["contact_id"]: entry(c) for c in last["contacts"]} == replayed
