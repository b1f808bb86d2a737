"""Clients and contacts take an optional ``locale`` (BCP 47, validated like staff's): the
language of emails to them, carried in their events."""

from __future__ import annotations

from tests.integration.clients.helpers import Api
from tests.support.apps import ADMIN, auth


async def test_client_and_contact_locale(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    manager = auth(mia["id"], "manager")
    acme = await api.client("Acme", mia["id"], locale="ru-RU")
    assert acme["locale"] == "ru-RU"
    bad = await api.http.post(
        "/api/v1/clients", headers=manager, json={"name": "X", "locale": "not a locale"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "locale"]

    base = f"/api/v1/clients/{acme['id']}/contacts"
    created = await api.http.post(base, headers=manager, json={"name": "Olga", "locale": "ru"})
    assert created.status_code == 201 and created.json()["locale"] == "ru"
    plain = await api.http.post(base, headers=manager, json={"name": "John"})
    assert plain.json()["locale"] is None
    wrong = await api.http.post(base, headers=manager, json={"name": "Z", "locale": "e_n"})
    assert wrong.status_code == 422
    patched = await api.http.patch(
        f"/api/v1/contacts/{plain.json()['id']}", headers=manager, json={"locale": "en-GB"}
    )
    assert patched.status_code == 200 and patched.json()["locale"] == "en-GB"
    cleared = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=manager, json={"locale": None}
    )
    assert cleared.status_code == 200 and cleared.json()["locale"] is None

    [client_created] = await api.events("orbit.clients.client.created.v1", key=acme["id"])
    assert client_created["locale"] == "ru-RU"
    contact_events = await api.events("orbit.clients.contact.created.v1", key=acme["id"])
    assert [e["locale"] for e in contact_events] == ["ru", None]
    [updated] = await api.events("orbit.clients.contact.updated.v1", key=acme["id"])
    assert updated["locale"] == "en-GB"
    last = (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]
    assert last["locale"] is None
    assert {c["name"]: c["locale"] for c in last["contacts"]} == {"Olga": "ru", "John": "en-GB"}


async def test_staff_job_title(api: Api) -> None:
    """Staff take an optional job title (the signature of their emails to clients), carried
    in the staff events; blank clears it."""
    mia = await api.staff("Mia Manager", title="  Senior Account Manager ")
    assert mia["title"] == "Senior Account Manager"
    bob = await api.staff("Bob Manager")
    assert bob["title"] is None
    long = await api.http.post(
        "/api/v1/staff",
        headers=ADMIN,
        json={"name": "X", "email": "x@x.example", "title": "t" * 201},
    )
    assert long.status_code == 422 and long.json()["errors"][0]["loc"] == ["body", "title"]
    cleared = await api.http.patch(f"/api/v1/staff/{mia['id']}", headers=ADMIN, json={"title": ""})
    assert cleared.status_code == 200 and cleared.json()["title"] is None
    [created] = await api.events("orbit.clients.staff.created.v1", key=mia["id"])
    assert created["title"] == "Senior Account Manager"
    [updated] = await api.events("orbit.clients.staff.updated.v1", key=mia["id"])
    assert (updated["title"], updated["changed"]) == (None, ["title"])


async def test_client_greetings_choice_and_contact_birthdays_in_events(api: Api) -> None:
    """A client's ``greetings`` (off by default; its contacts get greetings by email) and its
    contacts' birthdays travel in the client events (the notifications service reads them)."""
    mia = await api.staff("Mia Manager")
    manager = auth(mia["id"], "manager")
    acme = await api.client("Acme", mia["id"])
    assert acme["greetings"] is False
    base = f"/api/v1/clients/{acme['id']}/contacts"
    olga = await api.http.post(base, headers=manager, json={"name": "Olga", "birthday": "--02-29"})
    assert olga.status_code == 201, olga.text
    on = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=manager, json={"greetings": True}
    )
    assert on.status_code == 200 and on.json()["greetings"] is True
    null = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=manager, json={"greetings": None}
    )
    assert null.status_code == 422
    [created] = await api.events("orbit.clients.client.created.v1", key=acme["id"])
    assert created["greetings"] is False
    updated = (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]
    assert (updated["greetings"], updated["changed"]) == (True, ["greetings"])
    assert [(c["name"], c["birthday"]) for c in updated["contacts"]] == [("Olga", "--02-29")]
