"""Imports (``POST /api/v1/imports``) on SQLite and PostgreSQL: a dry run lists every bad
row and writes nothing, a real run creates, a second run of the same file creates nothing
twice and updates what changed, XLSX reads like CSV, and who may import what.

The app runs without its workers: each test runs the queued imports itself
(``run_queued_imports``), so nothing races it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import Workbook

from services.clients.app import SPEC, create_app
from services.clients.handlers.imports import run_queued_imports
from services.clients.settings import ClientsSettings
from shared.clock import FixedClock
from tests.integration.clients.helpers import NOW, Api
from tests.support.apps import ADMIN, ADMIN_ID, auth, running, runtime_of, test_settings
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

URL = "/api/v1/imports"
CREATED = "orbit.clients.client.created.v1"
UPDATED = "orbit.clients.client.updated.v1"
HEADER = "external_id,name,tier,country,timezone,account_manager_email"


@pytest.fixture
async def api(any_db_url: str) -> AsyncIterator[Api]:
    clock = FixedClock(NOW)
    app = create_app(
        test_settings(database_url=any_db_url), clock=clock, migrate_on_start=True, workers=False
    )
    async with running(app) as http:
        yield Api(http, runtime_of(app, "clients"), clock)


async def upload(
    api: Api,
    kind: str,
    content: bytes | str,
    headers: dict[str, str] = ADMIN,
    name: str = "file.csv",
    **form: str,
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return await api.http.post(
        URL, headers=headers, data={"kind": kind, **form}, files={"file": (name, data)}
    )


async def run(api: Api, kind: str, content: bytes | str, **form: str) -> dict[str, Any]:
    """Queue the file, run the queue, and return the import's final state."""
    queued = await upload(api, kind, content, **form)
    assert queued.status_code == 202, queued.text
    settings = SPEC.load_settings(api.runtime.settings)
    assert isinstance(settings, ClientsSettings)
    assert await run_queued_imports(api.runtime.uow, settings) == 1
    found = await api.http.get(f"{URL}/{queued.json()['id']}", headers=ADMIN)
    assert found.status_code == 200, found.text
    return dict(found.json())


async def clients_by_external_id(api: Api) -> dict[str, dict[str, Any]]:
    page = (await api.http.get("/api/v1/clients", headers=ADMIN, params={"limit": 200})).json()
    return {c["external_id"]: c for c in page["items"]}


async def audit_of(api: Api, client_id: str) -> list[dict[str, Any]]:
    found = await api.http.get(
        "/api/v1/audit", headers=ADMIN, params={"entity": "client", "id": client_id}
    )
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


async def test_dry_run_lists_every_bad_row_and_writes_nothing(api: Api) -> None:
    await api.staff("Mia Manager")
    csv = "\n".join(
        [
            HEADER + ",tags",
            "a-1,Acme,key,DE,Europe/Berlin,mia.manager@orbit.example,vip",
            "a-2,,gold,XX,Mars/Base,nobody@orbit.example,",
            "a-1,Acme again,key,DE,Europe/Berlin,,",
            "a-4,Delta,small,FR,Europe/Paris,mia.manager@orbit.example,",
        ]
    )
    found = await run(api, "clients", csv, dry_run="true")
    assert found["status"] == "failed" and found["dry_run"] is True
    assert found["progress"] == 1 and found["processed_rows"] == 4
    bad = {(e["row"], e["column"]) for e in found["errors"]}
    assert bad == {
        (2, "name"),
        (2, "tier"),
        (2, "country"),
        (2, "timezone"),
        (2, "account_manager_email"),
        (3, "external_id"),
    }, found["errors"]
    assert await clients_by_external_id(api) == {}
    assert await api.events(CREATED) == []

    # A clean dry run says what it would do, and still writes nothing.
    good = "\n".join([HEADER, "a-1,Acme,key,DE,Europe/Berlin,mia.manager@orbit.example"])
    found = await run(api, "clients", good, dry_run="true")
    assert found["status"] == "succeeded" and found["errors"] == []
    assert found["outcome"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert await clients_by_external_id(api) == {}


async def test_a_run_creates_then_a_rerun_updates_without_duplicates(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    ole = await api.staff("Ole Other")
    csv = "\n".join(
        [
            HEADER + ",tags,greetings",
            "a-1,Acme,key,DE,Europe/Berlin,mia.manager@orbit.example,vip; renewal,yes",
            "a-2,Beta,small,FR,Europe/Paris,ole.other@orbit.example,,",
        ]
    )
    found = await run(api, "clients", csv)
    assert found["status"] == "succeeded", found["errors"]
    assert found["outcome"] == {"created": 2, "updated": 0, "unchanged": 0}
    clients = await clients_by_external_id(api)
    assert clients["a-1"]["account_manager_id"] == mia["id"]
    assert clients["a-1"]["tags"] == ["vip", "renewal"] and clients["a-1"]["greetings"]
    assert clients["a-2"]["timezone"] == "Europe/Paris"
    # The events and audit rows of the rows, in the rows' order (written at the run's end).
    created = [e["client_id"] for t, e in await api.events_all() if t == CREATED]
    assert created == [clients["a-1"]["id"], clients["a-2"]["id"]]
    rows = await audit_of(api, clients["a-1"]["id"])
    assert {r["field"]: r["new"] for r in rows}["account_manager_id"] == mia["id"]
    assert {(r["old"], r["actor_id"]) for r in rows} == {(None, str(ADMIN_ID))}

    # Again, with one name changed and Beta moved to Mia: no duplicate, two updates.
    again = csv.replace("a-2,Beta,small", "a-2,Beta GmbH,small").replace(
        "ole.other@orbit.example", "mia.manager@orbit.example"
    )
    found = await run(api, "clients", again)
    assert found["status"] == "succeeded", found["errors"]
    assert found["outcome"] == {"created": 0, "updated": 1, "unchanged": 1}
    clients = await clients_by_external_id(api)
    assert len(clients) == 2
    assert clients["a-2"]["name"] == "Beta GmbH"
    assert clients["a-2"]["account_manager_id"] == mia["id"]
    assert len(await api.events(CREATED)) == 2
    (updated,) = await api.events(UPDATED)
    assert updated["changed"] == ["name"] and updated["client_id"] == clients["a-2"]["id"]
    (assigned,) = await api.events("orbit.clients.client.assigned.v1")
    assert assigned["from_manager_id"] == ole["id"] and assigned["reason"] == "import"
    changes = [(r["field"], r["old"], r["new"]) for r in await audit_of(api, clients["a-2"]["id"])]
    assert changes[-2:] == [
        ("name", "Beta", "Beta GmbH"),
        ("account_manager_id", ole["id"], mia["id"]),
    ]

    # A bad row fails the whole run: nothing of the good rows is written.
    mixed = "\n".join([HEADER, "a-3,Gamma,standard,,UTC,", "a-4,Delta,nope,,UTC,"])
    found = await run(api, "clients", mixed)
    assert found["status"] == "failed" and found["dry_run"] is False
    assert [(e["row"], e["column"]) for e in found["errors"]] == [(2, "tier")]
    assert set(await clients_by_external_id(api)) == {"a-1", "a-2"}
    kinds = [t for t, _ in await api.events_all() if ".client." in t]
    assert len(kinds) == 4  # 2 created, 1 updated, 1 assigned


async def test_xlsx_staff_and_contacts_with_a_mapping(api: Api) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Legacy ID", "Full name", "E-mail", "role", "Notes"])
    sheet.append(["s-1", "Hana Head", "hana@orbit.example", "head", "ignored"])
    sheet.append([42, "Mia Manager", "mia@orbit.example", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = '{"Legacy ID": "external_id", "Full name": "name", "E-mail": "email", "Notes": null}'
    found = await run(api, "staff", buffer.getvalue(), mapping=mapping)
    assert found["status"] == "succeeded", found["errors"]
    assert found["outcome"]["created"] == 2
    staff = (await api.http.get("/api/v1/staff", headers=ADMIN)).json()["items"]
    by_id = {s["external_id"]: s for s in staff}
    assert by_id["s-1"]["role"] == "head" and by_id["42"]["role"] == "manager"

    await run(api, "clients", f"{HEADER}\nc-1,Acme,key,DE,Europe/Berlin,mia@orbit.example")
    contacts = "\n".join(
        [
            "external_id;client_external_id;name;email;phone;roles;birthday",
            "k-1;c-1;Ann Buyer;ann@acme.example;030 1234567;decision_maker, billing;1980-05-17",
            "k-2;c-9;Nobody;;;;",
        ]
    )
    found = await run(api, "contacts", contacts)
    assert [(e["row"], e["column"]) for e in found["errors"]] == [(2, "client_external_id")]
    found = await run(api, "contacts", contacts.rsplit("\n", 1)[0])
    assert found["status"] == "succeeded", found["errors"]
    acme = (await clients_by_external_id(api))["c-1"]
    (ann,) = (await api.http.get(f"/api/v1/clients/{acme['id']}/contacts", headers=ADMIN)).json()[
        "items"
    ]
    assert ann["external_id"] == "k-1" and ann["phone"] == "+49301234567"
    assert sorted(ann["roles"]) == ["billing", "decision_maker"]


async def test_who_may_import_and_what_the_upload_refuses(api: Api) -> None:
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    await api.staff("Ole Other", department="south")
    as_head, as_mia = auth(head["id"], "head"), auth(mia["id"], "manager")
    row = f"{HEADER}\na-1,Acme,key,DE,Europe/Berlin,mia.manager@orbit.example"

    assert (await upload(api, "clients", row, headers=as_mia)).status_code == 403
    assert (await upload(api, "staff", row, headers=as_head)).status_code == 403
    assert (await upload(api, "invoices", row)).status_code == 422
    unknown = await upload(api, "clients", f"{HEADER},colour\n")
    assert unknown.status_code == 422 and "colour" in unknown.text
    assert (await upload(api, "clients", "name\nAcme\n")).status_code == 422  # no external_id
    assert (await upload(api, "clients", b"PK\x03\x04garbage")).status_code == 422
    assert (await upload(api, "clients", row, mapping="[1]")).status_code == 422
    big = HEADER + "\n" + "x" * (1024 * 1024)
    too_large = await upload(api, "clients", big)
    assert too_large.status_code == 413, too_large.text

    # A head imports for the managers of their department only, and reads only their imports.
    queued = await upload(api, "clients", row, headers=as_head)
    assert queued.status_code == 202
    other = row.replace("mia.manager", "ole.other").replace("a-1", "a-2")
    settings = SPEC.load_settings(api.runtime.settings)
    assert isinstance(settings, ClientsSettings)
    queued_other = await upload(api, "clients", other, headers=as_head)
    assert await run_queued_imports(api.runtime.uow, settings) == 2
    done = (await api.http.get(f"{URL}/{queued.json()['id']}", headers=as_head)).json()
    assert done["status"] == "succeeded", done["errors"]
    refused = (await api.http.get(f"{URL}/{queued_other.json()['id']}", headers=as_head)).json()
    assert refused["status"] == "failed"
    assert [e["column"] for e in refused["errors"]] == ["account_manager_email"]
    missing = await api.http.get(f"{URL}/{queued.json()['id']}", headers=as_mia)
    assert missing.status_code == 404


async def test_the_worker_runs_what_the_route_queues(any_db_url: str) -> None:
    """With its workers (as served): the route wakes the import worker, no call of the test."""
    app = create_app(
        test_settings(database_url=any_db_url), clock=FixedClock(NOW), migrate_on_start=True
    )
    async with running(app) as http:
        row = f"{HEADER}\nw-1,Worked,small,FR,Europe/Paris,"
        queued = await http.post(
            URL, headers=ADMIN, data={"kind": "clients"}, files={"file": ("w.csv", row.encode())}
        )
        assert queued.status_code == 202, queued.text
        path = f"{URL}/{queued.json()['id']}"

        async def finished() -> dict[str, Any] | None:
            found = dict((await http.get(path, headers=ADMIN)).json())
            return found if found["status"] in ("succeeded", "failed") else None

        done = await eventually(finished, what="the import to finish")
        assert done["status"] == "succeeded" and done["outcome"]["created"] == 1, done
