"""The clients API through the ASGI app on a real PostgreSQL database: staff, hand-over,
clients and their lifecycle, assignments, SLA overrides, contacts, birthdays, the portfolio
report, and bad input (422 naming the field, 409, nothing half-written)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from services.clients.api.schemas import PortfolioOut
from services.clients.workers import announce_birthdays
from tests.integration.clients.helpers import NOW, Api, names
from tests.support.apps import ADMIN, auth
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration


# ---------------------------------------------------------------- staff


async def test_staff_create_update_and_duplicate_email(api: Api) -> None:
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff(
        "Mia Manager",
        department="north",
        head_id=head["id"],
        timezone="Europe/Berlin",
        locale="de-DE",
    )
    assert mia["active"] is True and mia["head_id"] == head["id"]

    dup = await api.http.post(
        "/api/v1/staff",
        headers=ADMIN,
        json={"name": "Other Mia", "email": "MIA.MANAGER@orbit.example"},
    )
    assert dup.status_code == 409 and "already exists" in dup.json()["detail"]

    bad = await api.http.post(
        "/api/v1/staff",
        headers=ADMIN,
        json={"name": "", "email": "not-an-email", "role": "boss", "timezone": "Mars/Olympus"},
    )
    assert {"name", "email", "role", "timezone"} <= field_errors(bad)

    response = await api.http.patch(
        f"/api/v1/staff/{mia['id']}", headers=ADMIN, json={"department": "south", "head_id": None}
    )
    assert response.status_code == 200, response.text
    assert response.json()["department"] == "south" and response.json()["head_id"] is None
    updated = await api.events("orbit.clients.staff.updated.v1")
    assert updated[-1]["changed"] == ["department", "head_id"]
    assert updated[-1]["department"] == "south"

    # a head must be an active head; nobody is their own head; name may not be null
    assert "head_id" in field_errors(
        await api.http.patch(
            f"/api/v1/staff/{head['id']}", headers=ADMIN, json={"head_id": head["id"]}
        )
    )
    assert "head_id" in field_errors(
        await api.http.patch(
            f"/api/v1/staff/{head['id']}", headers=ADMIN, json={"head_id": mia["id"]}
        )
    )
    assert "name" in field_errors(
        await api.http.patch(f"/api/v1/staff/{mia['id']}", headers=ADMIN, json={"name": None})
    )

    listed = (
        await api.http.get("/api/v1/staff?role=manager", headers=auth(mia["id"], "manager"))
    ).json()
    assert names(listed) == ["Mia Manager"]
    missing = await api.http.get(f"/api/v1/staff/{uuid.uuid4()}", headers=ADMIN)
    assert missing.status_code == 404


async def test_staff_search_ignores_case_beyond_ascii_on_both_databases(
    any_api: Api,
) -> None:
    for name, email in [
        ("Jörg Ärger", "joerg@orbit.example"),
        ("ÉLODIE ÇA", "elodie@orbit.example"),
        ("Ölaf Ost", "olaf@orbit.example"),
    ]:
        await any_api.staff(name, email=email)

    async def search(q: str) -> list[str]:
        response = await any_api.http.get("/api/v1/staff", params={"q": q}, headers=ADMIN)
        assert response.status_code == 200, response.text
        return sorted(names(response.json()))

    assert await search("ärger") == await search("ÄRGER") == ["Jörg Ärger"]
    assert await search("élodie ça") == ["ÉLODIE ÇA"]
    assert await search("Ö") == ["Jörg Ärger", "Ölaf Ost"]


async def test_deactivation_needs_a_handover_first_and_then_locks_out(api: Api) -> None:
    leaving = await api.staff("Leo Leaving")
    staying = await api.staff("Sam Staying")
    inactive = await api.staff("Ina Inactive")
    await api.http.patch(f"/api/v1/staff/{inactive['id']}", headers=ADMIN, json={"active": False})
    acme = await api.client("Acme", leaving["id"], tier="key")
    api.clock.advance(timedelta(seconds=1))
    bolt = await api.client("Bolt", leaving["id"])
    other = await api.client("Other", staying["id"])

    refused = await api.http.patch(
        f"/api/v1/staff/{leaving['id']}", headers=ADMIN, json={"active": False}
    )
    assert refused.status_code == 409 and "hand them over" in refused.json()["detail"]

    # a hand-over to an inactive or unknown manager is refused, and nothing moves
    for target in (inactive["id"], str(uuid.uuid4())):
        response = await api.http.post(
            f"/api/v1/staff/{leaving['id']}/handover",
            headers=ADMIN,
            json={"to_manager_id": target, "reason": "leaves"},
        )
        assert field_errors(response) == {"to_manager_id"}
    # a hand-over says why
    for body in (
        {"to_manager_id": staying["id"]},
        {"to_manager_id": staying["id"], "reason": "  "},
    ):
        response = await api.http.post(
            f"/api/v1/staff/{leaving['id']}/handover", headers=ADMIN, json=body
        )
        assert field_errors(response) == {"reason"}
    page = (
        await api.http.get(f"/api/v1/clients?account_manager_id={leaving['id']}", headers=ADMIN)
    ).json()
    assert names(page) == ["Acme", "Bolt"]

    api.clock.advance(timedelta(minutes=1))
    response = await api.http.post(
        f"/api/v1/staff/{leaving['id']}/handover",
        headers=ADMIN,
        json={"to_manager_id": staying["id"], "reason": "leaves"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["moved"] == 2
    assert set(response.json()["client_ids"]) == {acme["id"], bolt["id"]}
    assigned = await api.events("orbit.clients.client.assigned.v1")
    assert {
        (e["client_id"], e["from_manager_id"], e["to_manager_id"], e["reason"]) for e in assigned
    } == {
        (acme["id"], leaving["id"], staying["id"], "leaves"),
        (bolt["id"], leaving["id"], staying["id"], "leaves"),
    }
    history = (
        await api.http.get(f"/api/v1/clients/{acme['id']}/assignments", headers=ADMIN)
    ).json()["items"]
    assert [(h["from_manager_id"], h["to_manager_id"]) for h in history] == [
        (None, leaving["id"]),
        (leaving["id"], staying["id"]),
    ]
    mine = (await api.http.get("/api/v1/clients", headers=auth(staying["id"], "manager"))).json()
    assert sorted(names(mine)) == ["Acme", "Bolt", "Other"]
    assert other["account_manager_id"] == staying["id"]

    response = await api.http.patch(
        f"/api/v1/staff/{leaving['id']}", headers=ADMIN, json={"active": False}
    )
    assert response.status_code == 200 and response.json()["active"] is False
    assert (await api.events("orbit.clients.staff.updated.v1"))[-1]["active"] is False
    locked = await api.http.get("/api/v1/clients", headers=auth(leaving["id"], "manager"))
    assert locked.status_code == 401


# ---------------------------------------------------------------- clients


async def test_client_validation_names_the_fields(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    response = await api.http.post(
        "/api/v1/clients",
        headers=ADMIN,
        json={
            "name": " ",
            "kind": "b2x",
            "tier": "gold",
            "country": "XX",
            "timezone": "Nowhere/City",
            "tags": [""],
            "account_manager_id": mia["id"],
            "surprise": 1,
        },
    )
    assert {"name", "kind", "tier", "country", "timezone", "tags.0", "surprise"} <= (
        field_errors(response)
    )

    unknown = await api.http.post(
        "/api/v1/clients",
        headers=ADMIN,
        json={"name": "Ghost", "account_manager_id": str(uuid.uuid4())},
    )
    assert "account_manager_id" in field_errors(unknown)

    for calendar, field in [
        ({"working_hours": {"mon": ["9:00", "18:00"]}}, "sla.calendar.working_hours"),
        ({"working_hours": {"mon": ["18:00", "09:00"]}}, "sla.calendar.working_hours"),
        ({"working_hours": {"funday": ["09:00", "18:00"]}}, "sla.calendar.working_hours"),
        ({"holidays_country": "QQ"}, "sla.calendar.holidays_country"),
        ({"timezone": "Europe/Atlantis"}, "sla.calendar.timezone"),
    ]:
        response = await api.http.post(
            "/api/v1/clients",
            headers=ADMIN,
            json={"name": "Cal", "account_manager_id": mia["id"], "sla": {"calendar": calendar}},
        )
        assert any(f.startswith(field) for f in field_errors(response)), (calendar, response.text)
    # nothing was half-written
    assert (await api.http.get("/api/v1/clients", headers=ADMIN)).json()["items"] == []
    assert await api.events("orbit.clients.client.created.v1") == []


async def test_client_sla_defaults_and_overrides(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client(
        "Acme",
        mia["id"],
        tier="key",
        country="de",
        timezone="Europe/Berlin",
        sla={"first_response_minutes": 30},
    )
    assert acme["country"] == "DE"
    assert acme["sla"]["first_response_minutes"] == 30
    assert acme["sla"]["contact_cadence_days"] == 3  # the key tier's default
    assert acme["sla"]["calendar"]["timezone"] == "Europe/Berlin"
    assert acme["sla"]["calendar"]["holidays_country"] == "DE"

    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}",
        headers=ADMIN,
        json={
            "tier": "small",
            "sla": {"first_response_minutes": None, "calendar": {"working_hours": "24x7"}},
        },
    )
    assert response.status_code == 200, response.text
    sla = response.json()["sla"]
    assert sla["first_response_minutes"] == 480  # back to the (new) tier default
    assert sla["calendar"]["working_hours"] == "24x7"
    updated = (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]
    assert updated["changed"] == ["sla", "tier"]
    assert updated["sla"] == sla and updated["tier"] == "small"

    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}",
        headers=ADMIN,
        json={
            "sla": {
                "calendar": {
                    "working_hours": {"mon": ["09:00", "12:00"], "sat": ["10:00", "24:00"]}
                }
            }
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["sla"]["calendar"]["working_hours"] == {
        "mon": ["09:00", "12:00"],
        "sat": ["10:00", "24:00"],
    }


async def test_status_lifecycle(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"])
    url = f"/api/v1/clients/{acme['id']}"
    assert acme["status"] == "prospect"

    skip = await api.http.patch(url, headers=ADMIN, json={"status": "paused"})
    assert skip.status_code == 409 and "prospect" in skip.json()["detail"]
    for status in ("active", "paused", "active"):
        response = await api.http.patch(url, headers=ADMIN, json={"status": status})
        assert response.status_code == 200 and response.json()["status"] == status
    assert "status_reason" in field_errors(
        await api.http.patch(url, headers=ADMIN, json={"status": "churned"})
    )
    assert "status_reason" in field_errors(
        await api.http.patch(url, headers=ADMIN, json={"status_reason": "alone"})
    )
    manager = auth(mia["id"], "manager")
    response = await api.http.patch(
        url, headers=manager, json={"status": "churned", "status_reason": "budget cut"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status_reason"] == "budget cut"
    back = await api.http.patch(url, headers=ADMIN, json={"status": "active"})
    assert back.status_code == 409

    changes = await api.events("orbit.clients.client.status_changed.v1", key=acme["id"])
    assert [(c["old_status"], c["new_status"], c["reason"]) for c in changes] == [
        ("prospect", "active", None),
        ("active", "paused", None),
        ("paused", "active", None),
        ("active", "churned", "budget cut"),
    ]
    assert changes[-1]["status"] == "churned" and changes[-1]["account_manager_id"] == mia["id"]


async def test_list_filters_search_and_cursor_paging(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    max_ = await api.staff("Max Manager")
    for i, name in enumerate(["Acme GmbH", "ACME Labs", "Bolt AG", "Crane Ltd", "Delta 100%"]):
        api.clock.advance(timedelta(seconds=1))
        await api.client(
            name,
            mia["id"] if i % 2 == 0 else max_["id"],
            tier="key" if i < 2 else "standard",
            tags=["vip"] if i in (1, 2) else [],
        )

    async def get(query: str) -> list[str]:
        response = await api.http.get(f"/api/v1/clients?{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return names(response.json())

    assert await get("q=acme") == ["Acme GmbH", "ACME Labs"]
    assert await get("q=100%25") == ["Delta 100%"]
    assert await get("q=_") == []  # LIKE wildcards are taken literally
    assert await get("tier=key") == ["Acme GmbH", "ACME Labs"]
    assert await get("tag=vip") == ["ACME Labs", "Bolt AG"]
    assert await get(f"account_manager_id={max_['id']}") == ["ACME Labs", "Crane Ltd"]
    assert await get("status=prospect&tier=standard&tag=vip") == ["Bolt AG"]
    assert "status" in field_errors(
        await api.http.get("/api/v1/clients?status=gone", headers=ADMIN)
    )

    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.http.get(f"/api/v1/clients?{query}", headers=ADMIN)).json()
        assert len(page["items"]) <= 2
        seen += names(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["Acme GmbH", "ACME Labs", "Bolt AG", "Crane Ltd", "Delta 100%"]
    bad = await api.http.get("/api/v1/clients?cursor=garbage", headers=ADMIN)
    assert bad.status_code in (400, 422) and bad.headers["content-type"].startswith(
        "application/problem+json"
    )


async def test_longest_names_whose_lower_case_is_longer_are_stored_and_found(api: Api) -> None:
    # "İ".lower() is two characters: a 300-character name has a 600-character lower case.
    longest = "İ" * 300
    created = await api.http.post("/api/v1/clients", headers=ADMIN, json={"name": longest})
    assert created.status_code == 201, created.text
    other = await api.client("Acme", None)
    patched = await api.http.patch(
        f"/api/v1/clients/{other['id']}", headers=ADMIN, json={"name": "ẞİ" * 150}
    )
    assert patched.status_code == 200, patched.text
    found = (await api.http.get(f"/api/v1/clients?q={'İ'.lower()}", headers=ADMIN)).json()
    assert sorted(names(found)) == sorted([longest, "ẞİ" * 150])


async def test_assignment_rules_and_history(api: Api) -> None:
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    max_ = await api.staff("Max Manager", department="north", head_id=head["id"])
    zoe = await api.staff("Zoe Elsewhere", department="south")
    admin_staff = await api.staff("Ada Admin", "admin")
    acme = await api.client("Acme", mia["id"])
    url = f"/api/v1/clients/{acme['id']}/assign"

    assert "account_manager_id" in field_errors(
        await api.http.post(
            url, headers=ADMIN, json={"account_manager_id": admin_staff["id"], "reason": "r"}
        )
    )  # not a manager
    assert "account_manager_id" in field_errors(
        await api.http.post(
            url, headers=ADMIN, json={"account_manager_id": str(uuid.uuid4()), "reason": "r"}
        )
    )
    # an assignment says why
    for body in (
        {"account_manager_id": max_["id"]},
        {"account_manager_id": max_["id"], "reason": " \t"},
        {"account_manager_id": max_["id"], "reason": None},
    ):
        assert field_errors(await api.http.post(url, headers=ADMIN, json=body)) == {"reason"}
    # a manager cannot give their client away; a head only within their team
    assert (
        await api.http.post(
            url,
            headers=auth(mia["id"], "manager"),
            json={"account_manager_id": max_["id"], "reason": "r"},
        )
    ).status_code == 403
    assert (
        await api.http.post(
            url,
            headers=auth(head["id"], "head"),
            json={"account_manager_id": zoe["id"], "reason": "r"},
        )
    ).status_code == 403

    api.clock.advance(timedelta(minutes=1))
    response = await api.http.post(
        url,
        headers=auth(head["id"], "head"),
        json={"account_manager_id": max_["id"], "reason": "load"},
    )
    assert response.status_code == 200 and response.json()["account_manager_id"] == max_["id"]
    event = (await api.events("orbit.clients.client.assigned.v1", key=acme["id"]))[-1]
    assert (event["from_manager_id"], event["to_manager_id"], event["reason"]) == (
        mia["id"],
        max_["id"],
        "load",
    )
    assert event["account_manager_department"] == "north" and event["head_id"] == head["id"]
    # the former manager no longer sees it
    gone = await api.http.get(f"/api/v1/clients/{acme['id']}", headers=auth(mia["id"], "manager"))
    assert gone.status_code == 404

    api.clock.advance(timedelta(minutes=1))
    # a PATCH of the manager may say why (recorded like an assignment's reason)
    assert field_errors(
        await api.http.patch(
            f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"assignment_reason": "alone"}
        )
    ) == {"assignment_reason"}
    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}",
        headers=ADMIN,
        json={"account_manager_id": zoe["id"], "assignment_reason": "moves south"},
    )
    assert response.status_code == 200 and response.json()["account_manager_id"] == zoe["id"]
    event = (await api.events("orbit.clients.client.assigned.v1", key=acme["id"]))[-1]
    assert (event["to_manager_id"], event["reason"]) == (zoe["id"], "moves south")
    api.clock.advance(timedelta(minutes=1))
    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"account_manager_id": mia["id"]}
    )
    assert response.status_code == 200, response.text  # without a reason: none recorded
    history = (
        await api.http.get(f"/api/v1/clients/{acme['id']}/assignments", headers=ADMIN)
    ).json()["items"]
    assert [(h["from_manager_id"], h["to_manager_id"], h["reason"]) for h in history] == [
        (None, mia["id"], None),
        (mia["id"], max_["id"], "load"),
        (max_["id"], zoe["id"], "moves south"),
        (zoe["id"], mia["id"], None),
    ]
    assert history[1]["assigned_by"] == head["id"]


# ---------------------------------------------------------------- contacts and reports


async def test_contacts_crud_and_validation(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"], country="DE")
    manager = auth(mia["id"], "manager")
    base = f"/api/v1/clients/{acme['id']}/contacts"

    response = await api.http.post(
        base,
        headers=manager,
        json={
            "name": "Dora Decider",
            "email": "Dora@Acme.example",
            "phone": "030 1234567",
            "roles": ["billing", "decision_maker"],
            "birthday": "--02-29",
            "preferred_channel": "phone",
        },
    )
    assert response.status_code == 201, response.text
    dora = response.json()
    assert dora["phone"] == "+49301234567" and dora["email"] == "dora@acme.example"
    assert dora["roles"] == ["decision_maker", "billing"] and dora["birthday"] == "--02-29"

    bad = await api.http.post(
        base,
        headers=manager,
        json={
            "name": "Bad",
            "email": "nope",
            "phone": "12",
            "roles": ["boss"],
            "birthday": "1981-02-29",
            "preferred_channel": "pigeon",
        },
    )
    assert {"email", "phone", "roles.0", "birthday", "preferred_channel"} <= field_errors(bad)
    assert "phone" in field_errors(
        await api.http.post(base, headers=manager, json={"name": "Bad", "phone": "not a phone"})
    )
    assert "preferred_channel" in field_errors(
        await api.http.post(
            base, headers=manager, json={"name": "Bad", "preferred_channel": "email"}
        )
    )
    dup = await api.http.post(
        base, headers=manager, json={"name": "Twin", "email": "dora@acme.example"}
    )
    assert dup.status_code == 409

    url = f"/api/v1/contacts/{dora['id']}"
    response = await api.http.patch(
        url,
        headers=manager,
        json={"roles": ["technical"], "phone": None, "preferred_channel": None},
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["technical"] and response.json()["phone"] is None
    assert response.json()["email"] == "dora@acme.example"  # kept
    listed = (await api.http.get(f"{base}?role=technical", headers=manager)).json()
    assert names(listed) == ["Dora Decider"]
    assert (await api.http.get(f"{base}?role=decision_maker", headers=manager)).json()[
        "items"
    ] == []

    created = await api.events("orbit.clients.contact.created.v1", key=acme["id"])
    assert created[0]["roles"] == ["decision_maker", "billing"]
    assert created[0]["email"] == "dora@acme.example"
    assert created[0]["account_manager_id"] == mia["id"]

    # client events carry the client's contacts (for replicas that start late)
    assert (
        await api.http.patch(
            f"/api/v1/clients/{acme['id']}", headers=manager, json={"segment": "retail"}
        )
    ).status_code == 200
    carried = (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]
    assert carried["contacts"] == [
        {
            "contact_id": dora["id"],
            "name": "Dora Decider",
            "email": "dora@acme.example",
            "phone": None,
            "roles": ["technical"],
            "preferred_channel": None,
            "locale": None,
            "birthday": "--02-29",
        }
    ]

    assert (await api.http.delete(url, headers=manager)).status_code == 204
    assert (await api.http.get(url, headers=manager)).status_code == 404
    assert (await api.http.delete(url, headers=manager)).status_code == 404
    deleted = await api.events("orbit.clients.contact.deleted.v1", key=acme["id"])
    assert [d["contact_id"] for d in deleted] == [dora["id"]]


async def test_birthday_announced_once_per_contact_and_year(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"], timezone="Asia/Tokyo")
    base = f"/api/v1/clients/{acme['id']}/contacts"
    for name, birthday in [("Near", "1990-11-28"), ("Far", "--12-25"), ("Late", "--11-22")]:
        response = await api.http.post(
            base, headers=ADMIN, json={"name": name, "birthday": birthday}
        )
        assert response.status_code == 201, response.text

    for _ in range(3):
        await announce_birthdays(api.runtime.uow, NOW, 7)
    events = await api.events("orbit.clients.contact.birthday_upcoming.v1")
    assert [(e["name"], e["birthday"], e["days_ahead"], e["age"]) for e in events] == [
        ("Near", "2026-11-28", 5, 36)
    ]
    assert events[0]["account_manager_id"] == mia["id"]

    # a year later the same contact is announced again, once
    for _ in range(2):
        await announce_birthdays(api.runtime.uow, NOW + timedelta(days=365), 7)
    events = await api.events("orbit.clients.contact.birthday_upcoming.v1")
    assert [e["birthday"] for e in events] == ["2026-11-28", "2027-11-28"]


async def test_portfolio_report(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    max_ = await api.staff("Max Manager")
    acme = await api.client("Acme", mia["id"], tier="key", status="active")
    bolt = await api.client("Bolt", mia["id"], tier="standard")
    await api.client("Crane", max_["id"], tier="key")
    await api.http.post(
        f"/api/v1/clients/{acme['id']}/contacts",
        headers=ADMIN,
        json={"name": "Dora", "roles": ["decision_maker"], "birthday": "1980-11-30"},
    )
    await api.http.post(
        f"/api/v1/clients/{bolt['id']}/contacts",
        headers=ADMIN,
        json={"name": "Ben", "roles": ["billing"], "birthday": "--12-24"},
    )

    report = (
        await api.http.get("/api/v1/reports/portfolio", headers=auth(mia["id"], "manager"))
    ).json()
    assert report["total"] == 2
    assert report["by_status"] == {"prospect": 1, "active": 1, "paused": 0, "churned": 0}
    assert report["by_tier"] == {"key": 1, "standard": 1, "small": 0}
    assert [c["name"] for c in report["key_clients"]] == ["Acme"]
    assert [c["name"] for c in report["without_decision_maker"]] == ["Bolt"]
    assert [
        (b["contact_name"], b["birthday"], b["days_ahead"], b["age"])
        for b in report["upcoming_birthdays"]
    ] == [("Dora", "2026-11-30", 7, 46)]
    assert [m["name"] for m in report["managers"]] == ["Mia Manager"]
    # written from the report's values unvalidated: exactly what PortfolioOut would write
    assert PortfolioOut.model_validate(report).model_dump(mode="json") == report

    everyone = (await api.http.get("/api/v1/reports/portfolio", headers=ADMIN)).json()
    assert everyone["total"] == 3 and everyone["by_tier"]["key"] == 2
    assert [m["name"] for m in everyone["managers"]] == ["Max Manager", "Mia Manager"]
    only_max = (
        await api.http.get(
            f"/api/v1/reports/portfolio?account_manager_id={max_['id']}", headers=ADMIN
        )
    ).json()
    assert only_max["total"] == 1 and only_max["key_clients"][0]["name"] == "Crane"


async def test_concurrent_duplicate_staff_email_is_one_201_and_409s(api: Api) -> None:
    body = {"name": "Twin", "email": "twin@orbit.example"}
    responses = await asyncio.gather(
        *(api.http.post("/api/v1/staff", headers=ADMIN, json=body) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409], [
        r.text for r in responses
    ]
    assert len(await api.events("orbit.clients.staff.created.v1")) == 1


async def test_tags_are_case_insensitive(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"], tags=[" VIP ", "Gold", "vip", "gold ", "eu"])
    assert acme["tags"] == ["vip", "gold", "eu"]  # stripped, lower-case, once, in order
    api.clock.advance(timedelta(seconds=1))  # lists are in created_at order
    await api.client("Bolt", mia["id"], tags=["T1"])
    api.clock.advance(timedelta(seconds=1))
    await api.client("Crane", mia["id"], tags=["t1", "T1"])

    async def tagged(tag: str) -> list[str]:
        response = await api.http.get("/api/v1/clients", headers=ADMIN, params={"tag": tag})
        assert response.status_code == 200, response.text
        return names(response.json())

    for tag in ("T1", "t1", " t1 "):
        assert await tagged(tag) == ["Bolt", "Crane"], tag
    assert await tagged("VIP") == await tagged("vip") == ["Acme"]

    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"tags": ["EU", "VIP", "Gold"]}
    )
    assert response.status_code == 200 and response.json()["tags"] == ["eu", "vip", "gold"]
    assert (await api.events("orbit.clients.client.updated.v1", key=acme["id"]))[-1]["tags"] == [
        "eu",
        "vip",
        "gold",
    ]
    # the same tags again, in another case: no change, no event
    events = len(await api.events("orbit.clients.client.updated.v1"))
    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"tags": ["Eu", "vip", "GOLD", "gold"]}
    )
    assert response.status_code == 200 and response.json()["tags"] == ["eu", "vip", "gold"]
    assert len(await api.events("orbit.clients.client.updated.v1")) == events
    assert await tagged("Gold") == ["Acme"]
    assert "tags.1" in field_errors(
        await api.http.post(
            "/api/v1/clients", headers=ADMIN, json={"name": "Long", "tags": ["ok", "x" * 51]}
        )
    )


async def test_portfolio_report_of_a_head_counts_their_team_only(any_api: Api) -> None:
    """On both databases: a head's portfolio counts their department's managers' clients and
    their own per manager (another department's left out); churned clients are neither key
    clients nor missing a decision maker; a decision maker on one client does not count for
    another."""
    api = any_api
    hana = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north")
    max_ = await api.staff("Max Manager", department="north")
    bob = await api.staff("Bob Manager", department="south")
    acme = await api.client("Acme", mia["id"], tier="key", status="active")
    await api.client("Bolt", mia["id"], tier="standard")
    crane = await api.client("Crane", max_["id"], tier="key", status="active")
    churned = await api.http.patch(
        f"/api/v1/clients/{crane['id']}",
        headers=ADMIN,
        json={"status": "churned", "status_reason": "budget cut"},
    )
    assert churned.status_code == 200, churned.text
    await api.client("Delta", max_["id"], tier="small", status="active")
    await api.client("Echo", hana["id"], tier="key")
    globex = await api.client("Globex", bob["id"], tier="key", status="active")
    for client in (acme, globex):
        added = await api.http.post(
            f"/api/v1/clients/{client['id']}/contacts",
            headers=ADMIN,
            json={"name": "Dora", "roles": ["decision_maker"]},
        )
        assert added.status_code == 201, added.text

    head = auth(hana["id"], "head")
    report = (await api.http.get("/api/v1/reports/portfolio", headers=head)).json()
    assert report["total"] == 5
    assert report["by_status"] == {"prospect": 2, "active": 2, "paused": 0, "churned": 1}
    assert report["by_tier"] == {"key": 3, "standard": 1, "small": 1}
    assert [(m["name"], m["total"], m["key_clients"]) for m in report["managers"]] == [
        ("Hana Head", 1, 1),
        ("Max Manager", 2, 0),
        ("Mia Manager", 2, 1),
    ]
    assert [m["by_status"]["churned"] for m in report["managers"]] == [0, 1, 0]
    assert [c["name"] for c in report["key_clients"]] == ["Acme", "Echo"]
    assert report["key_clients"][0] == {
        "id": acme["id"],
        "name": "Acme",
        "tier": "key",
        "status": "active",
        "account_manager_id": mia["id"],
    }
    assert [c["name"] for c in report["without_decision_maker"]] == ["Bolt", "Delta", "Echo"]
    # the lists written by PostgreSQL too: exactly what PortfolioOut would write
    assert PortfolioOut.model_validate(report).model_dump(mode="json") == report

    only_max = (
        await api.http.get(
            "/api/v1/reports/portfolio", headers=head, params={"account_manager_id": max_["id"]}
        )
    ).json()
    assert only_max["total"] == 2 and only_max["key_clients"] == []
    assert [c["name"] for c in only_max["without_decision_maker"]] == ["Delta"]
    not_theirs = (
        await api.http.get(
            "/api/v1/reports/portfolio", headers=head, params={"account_manager_id": bob["id"]}
        )
    ).json()
    assert not_theirs["total"] == 0 and not_theirs["managers"] == []
    everyone = (await api.http.get("/api/v1/reports/portfolio", headers=ADMIN)).json()
    assert everyone["total"] == 6
    assert [c["name"] for c in everyone["key_clients"]] == ["Acme", "Echo", "Globex"]
