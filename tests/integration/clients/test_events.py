"""What the clients events carry for subscribers that act without calling back: the account
manager's department and the head responsible for escalations on every client and contact
event (and the birthday alert), and the client's ``status_reason``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.clients.workers import announce_birthdays
from tests.integration.clients.helpers import NOW, Api
from tests.support.apps import ADMIN

pytestmark = pytest.mark.integration

CONTACT_EVENTS = ("created", "updated", "deleted")


async def test_contact_events_carry_the_managers_department_and_head(api: Api) -> None:
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    acme = await api.client("Acme", mia["id"])
    base = f"/api/v1/clients/{acme['id']}/contacts"
    dora = (
        await api.http.post(base, headers=ADMIN, json={"name": "Dora", "birthday": "1980-11-25"})
    ).json()
    assert (
        await api.http.patch(
            f"/api/v1/contacts/{dora['id']}", headers=ADMIN, json={"position": "CEO"}
        )
    ).status_code == 200
    await announce_birthdays(api.runtime.uow, NOW, 7)
    assert (
        await api.http.delete(f"/api/v1/contacts/{dora['id']}", headers=ADMIN)
    ).status_code == 204

    for verb in (*CONTACT_EVENTS, "birthday_upcoming"):
        events = await api.events(f"orbit.clients.contact.{verb}.v1", key=acme["id"])
        assert len(events) == 1, verb
        assert events[0]["account_manager_id"] == mia["id"]
        assert events[0]["account_manager_department"] == "north", verb
        assert events[0]["head_id"] == head["id"], verb


async def test_head_id_is_the_head_responsible_for_escalations(api: Api) -> None:
    chief = await api.staff("Cleo Chief", "head", department="board")
    head = await api.staff("Hana Head", "head", department="north")  # no head above
    deputy = await api.staff("Dirk Deputy", "head", department="north", head_id=chief["id"])
    loner = await api.staff("Lou Loner", department="south")  # reports to nobody
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    expected = {
        mia["id"]: head["id"],
        head["id"]: head["id"],
        deputy["id"]: chief["id"],
        loner["id"]: None,
    }
    for manager_id, head_id in expected.items():
        client = await api.client(f"Client of {manager_id}", manager_id)
        created = (await api.events("orbit.clients.client.created.v1", key=client["id"]))[0]
        assert created["head_id"] == head_id, manager_id
        contact = await api.http.post(
            f"/api/v1/clients/{client['id']}/contacts", headers=ADMIN, json={"name": "Pat"}
        )
        assert contact.status_code == 201, contact.text
        event = (await api.events("orbit.clients.contact.created.v1", key=client["id"]))[0]
        assert event["head_id"] == head_id, manager_id
    unmanaged = await api.client("Nobody's", None)
    event = (await api.events("orbit.clients.client.created.v1", key=unmanaged["id"]))[0]
    assert (event["account_manager_department"], event["head_id"]) == (None, None)


async def test_a_staff_change_that_moves_the_escalation_head_updates_the_clients(
    api: Api,
) -> None:
    lou = await api.staff("Lou Loner", department="south")
    acme = await api.client("Acme", lou["id"])
    updated = "orbit.clients.client.updated.v1"

    # promoted to head with nobody above: they answer for their own clients now
    api.clock.advance(timedelta(seconds=1))
    response = await api.http.patch(
        f"/api/v1/staff/{lou['id']}", headers=ADMIN, json={"role": "head"}
    )
    assert response.status_code == 200, response.text
    event = (await api.events(updated, key=acme["id"]))[-1]
    assert (event["changed"], event["head_id"]) == (["head_id"], lou["id"])

    # a change that moves neither the department nor the head: no client event
    before = len(await api.events(updated))
    assert (
        await api.http.patch(f"/api/v1/staff/{lou['id']}", headers=ADMIN, json={"locale": "en"})
    ).status_code == 200
    assert len(await api.events(updated)) == before

    response = await api.http.patch(
        f"/api/v1/staff/{lou['id']}", headers=ADMIN, json={"department": "west"}
    )
    assert response.status_code == 200, response.text
    event = (await api.events(updated, key=acme["id"]))[-1]
    assert (event["changed"], event["account_manager_department"], event["head_id"]) == (
        ["account_manager_department"],
        "west",
        lou["id"],
    )


async def test_client_events_carry_the_status_reason(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"], status="active")
    created = (await api.events("orbit.clients.client.created.v1", key=acme["id"]))[0]
    assert created["status_reason"] is None
    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}",
        headers=ADMIN,
        json={"status": "churned", "status_reason": "budget cut"},
    )
    assert response.status_code == 200, response.text
    changed = (await api.events("orbit.clients.client.status_changed.v1", key=acme["id"]))[-1]
    assert (changed["status_reason"], changed["reason"]) == ("budget cut", "budget cut")
    assert (
        await api.http.patch(
            f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"segment": "retail"}
        )
    ).status_code == 200
    updated = (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]
    assert updated["status_reason"] == "budget cut"
