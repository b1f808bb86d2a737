"""Imports of contracts and open invoices (``POST /api/v1/imports``, kinds ``contracts`` and
``invoices``): the clients service reads the file and finds each row's client, billing runs
the rows in one transaction of its own (``shared.imports``). Both ways the services meet:

- ``embedded``: both services in one app on SQLite (``orbit run``), the rows handed to the
  billing runtime in the process;
- ``served``: each service its own app, its own PostgreSQL database and a real uvicorn server
  on loopback (``orbit serve``): the clients service posts the rows to billing's
  ``/internal/v1/imports/{kind}`` with a service token, billing reads the clients through to
  the clients service's internal endpoints.

A dry run with bad rows reports each and writes nothing; a run creates (with the events of a
normal creation); the same file again creates nothing; a head's row of another department's
client is refused; an integration may not import them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.billing.app import SPEC as BILLING
from services.billing.app import create_app as billing_app
from services.billing.store.models import Contract, Invoice
from services.clients.app import SPEC as CLIENTS
from services.clients.app import create_app as clients_app
from services.clients.handlers.imports import run_queued_imports
from services.clients.settings import ClientsSettings
from services.embedded import embedded_app
from shared.app import build_app
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.readthrough import SERVICE_SUBJECT
from shared.runtime import ServiceRuntime
from tests.integration.clients.helpers import NOW
from tests.support.apps import ADMIN, TEST_SECRET, auth, running, runtime_of, served, test_settings
from tests.support.net import free_port
from tests.support.outbox import outbox_events
from tests.support.servers import fresh_postgres_database
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

URL = "/api/v1/imports"
TODAY = NOW.date()
CONTRACTS = (
    "external_id,client_external_id,number,title,starts_on,ends_on,value_amount,value_currency"
)
INVOICES = (
    "external_id,client_external_id,contract_number,number,issue_date,due_date,currency,amount"
)


def day(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


@dataclass
class Orbit:
    http: httpx.AsyncClient  # the clients service's API
    clients: ServiceRuntime
    billing: ServiceRuntime
    billing_http: httpx.AsyncClient  # billing's (the same app, embedded)

    async def staff(self, name: str, role: str, department: str) -> dict[str, Any]:
        body = {
            "name": name,
            "email": f"{name.lower().replace(' ', '.')}@orbit.example",
            "role": role,
            "department": department,
        }
        response = await self.http.post("/api/v1/staff", headers=ADMIN, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def client(self, external_id: str, manager_id: str) -> None:
        body = {"name": external_id.title(), "external_id": external_id}
        body["account_manager_id"] = manager_id
        response = await self.http.post("/api/v1/clients", headers=ADMIN, json=body)
        assert response.status_code == 201, response.text

    async def run(
        self, kind: str, csv: str, headers: dict[str, str] = ADMIN, **form: str
    ) -> dict[str, Any]:
        """Queue the file, run the queue (billing's part included), the import's state."""
        queued = await self.http.post(
            URL,
            headers=headers,
            data={"kind": kind, **form},
            files={"file": (f"{kind}.csv", csv.encode())},
        )
        assert queued.status_code == 202, queued.text
        settings = self.clients.settings
        assert isinstance(settings, ClientsSettings)
        ran = await run_queued_imports(self.clients.uow, settings, self.clients.importers)
        assert ran == 1
        found = await self.http.get(f"{URL}/{queued.json()['id']}", headers=headers)
        assert found.status_code == 200, found.text
        return dict(found.json())

    async def count(self, entity: type[Contract] | type[Invoice]) -> int:
        async with self.billing.reads() as session:
            return int(await session.scalar(select(func.count()).select_from(entity)) or 0)

    async def events(self, verb: str) -> list[dict[str, Any]]:
        return await outbox_events(self.billing, f"orbit.billing.{verb}.v1")


@pytest.fixture(params=["embedded", "served"])
async def orbit(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Orbit]:
    clock = FixedClock(NOW)
    async with AsyncExitStack() as stack:
        if request.param == "embedded":
            app = build_app(
                [CLIENTS, BILLING],
                test_settings(data_dir=str(tmp_path)),
                clock=clock,
                migrate_on_start=True,
                workers=False,
            )
            http = await stack.enter_async_context(running(app))
            yield Orbit(http, runtime_of(app, "clients"), runtime_of(app, "billing"), http)
            return
        clients_db = await stack.enter_async_context(fresh_postgres_database())
        billing_db = await stack.enter_async_context(fresh_postgres_database())
        clients_port, billing_port = free_port(), free_port()
        apps = clients_app(
            test_settings(database_url=clients_db, billing_url=f"http://127.0.0.1:{billing_port}"),
            clock=clock,
            migrate_on_start=True,
            workers=False,
        )
        bills = billing_app(
            test_settings(database_url=billing_db, clients_url=f"http://127.0.0.1:{clients_port}"),
            clock=clock,
            migrate_on_start=True,
            workers=False,
        )
        http = await stack.enter_async_context(running(apps))
        billing_http = await stack.enter_async_context(running(bills))
        await stack.enter_async_context(served(apps, clients_port))
        await stack.enter_async_context(served(bills, billing_port))
        yield Orbit(http, runtime_of(apps, "clients"), runtime_of(bills, "billing"), billing_http)


async def north_and_south(orbit: Orbit) -> dict[str, dict[str, Any]]:
    """A head and a manager in north with client ``acme``, a manager in south with ``zeta``."""
    people = {
        "head": await orbit.staff("Hana Head", "head", "north"),
        "mia": await orbit.staff("Mia Manager", "manager", "north"),
        "sam": await orbit.staff("Sam South", "manager", "south"),
    }
    await orbit.client("acme", people["mia"]["id"])
    await orbit.client("zeta", people["sam"]["id"])
    return people


async def test_a_dry_run_reports_every_bad_row_and_writes_nothing(orbit: Orbit) -> None:
    await north_and_south(orbit)
    csv = "\n".join(
        [
            CONTRACTS,
            f"k-1,acme,C-1,Support,{day(0)},{day(365)},1200.00,EUR",
            f"k-2,nobody,C-2,Support,{day(0)},{day(365)},,",
            f"k-3,acme,C-3,Support,{day(10)},{day(5)},,",
            f"k-4,zeta,C-4,,{day(0)},{day(365)},12.345,EUR",
            f"k-1,zeta,C-5,Support,{day(0)},{day(365)},,",
        ]
    )
    found = await orbit.run("contracts", csv, dry_run="true")
    assert found["status"] == "failed" and found["dry_run"] is True
    assert found["progress"] == 1 and found["processed_rows"] == 5
    bad = {(e["row"], e["column"]) for e in found["errors"]}
    assert bad == {
        (2, "client_external_id"),
        (3, "ends_on"),
        (4, "title"),
        (5, "external_id"),
    }, found["errors"]
    assert await orbit.count(Contract) == 0
    assert await orbit.events("contract.created") == []

    invoices = "\n".join(
        [
            INVOICES,
            f"i-1,acme,,OLD-1,{day(-40)},{day(-10)},EUR,100.00",
            f"i-2,acme,C-404,OLD-2,{day(-5)},{day(-10)},EUR,ten",
            "i-3,acme,,,,,EURO,",
        ]
    )
    found = await orbit.run("invoices", invoices, dry_run="true")
    bad = {(e["row"], e["column"]) for e in found["errors"]}
    assert bad == {
        (2, "contract_number"),
        (2, "amount"),
        (2, "due_date"),
        (3, "number"),
        (3, "issue_date"),
        (3, "amount"),
        (3, "currency"),
    }, found["errors"]
    assert all(e["reason"] for e in found["errors"])
    assert await orbit.count(Invoice) == 0

    # A clean dry run says what it would do, and still writes nothing.
    found = await orbit.run("contracts", "\n".join(csv.split("\n")[:2]), dry_run="true")
    assert found["status"] == "succeeded", found["errors"]
    assert found["outcome"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert await orbit.count(Contract) == 0


async def test_a_run_creates_and_the_same_file_again_creates_nothing(orbit: Orbit) -> None:
    await north_and_south(orbit)
    contracts = "\n".join(
        [
            CONTRACTS,
            f"k-1,acme,C-1,Support,{day(-100)},{day(265)},1200.00,EUR",
            f"k-2,zeta,C-2,Hosting,{day(-10)},{day(355)},,",
        ]
    )
    found = await orbit.run("contracts", contracts)
    assert found["status"] == "succeeded", found["errors"]
    assert found["outcome"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert len(await orbit.events("contract.created")) == 2

    invoices = "\n".join(
        [
            INVOICES,
            f"i-1,acme,C-1,OLD-1,{day(-40)},{day(-10)},EUR,100.00",
            f"i-2,zeta,,OLD-2,{day(-5)},,EUR,250",
        ]
    )
    found = await orbit.run("invoices", invoices)
    assert found["status"] == "succeeded", found["errors"]
    assert found["outcome"] == {"created": 2, "updated": 0, "unchanged": 0}
    issued = await orbit.events("invoice.issued")
    assert len(issued) == 2
    async with orbit.billing.reads() as session:
        rows = {i.external_id: i for i in await session.scalars(select(Invoice))}
    assert rows["i-1"].external_number == "OLD-1" and rows["i-1"].status == "issued"
    assert rows["i-1"].number is not None and rows["i-1"].contract_id is not None
    assert rows["i-1"].due_date == TODAY - timedelta(days=10)
    assert rows["i-2"].due_date == TODAY + timedelta(days=25)  # the default terms: 30 days
    # The API shows both numbers and the keys (billing's API: the same app when embedded).
    shown = await orbit.billing_http.get(f"/api/v1/invoices/{rows['i-1'].id}", headers=ADMIN)
    assert shown.status_code == 200, shown.text
    assert shown.json()["external_number"] == "OLD-1" and shown.json()["external_id"] == "i-1"
    assert shown.json()["number"] == rows["i-1"].number
    shown = await orbit.billing_http.get(
        f"/api/v1/contracts/{rows['i-1'].contract_id}", headers=ADMIN
    )
    assert shown.json()["external_id"] == "k-1", shown.text

    # The same files again: nothing new, no event.
    for kind, csv in (("contracts", contracts), ("invoices", invoices)):
        found = await orbit.run(kind, csv)
        assert found["status"] == "succeeded", found["errors"]
        assert found["outcome"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert await orbit.count(Contract) == 2 and await orbit.count(Invoice) == 2
    assert len(await orbit.events("contract.created")) == 2
    assert len(await orbit.events("invoice.issued")) == 2
    assert await orbit.events("contract.updated") == []

    # A changed title updates the contract; an invoice that differs is refused, not changed.
    found = await orbit.run("contracts", contracts.replace("Hosting", "Hosting Plus"))
    assert found["outcome"] == {"created": 0, "updated": 1, "unchanged": 1}
    (updated,) = await orbit.events("contract.updated")
    assert updated["changed"] == ["title"]
    found = await orbit.run("invoices", invoices.replace("EUR,250", "EUR,260"))
    assert found["status"] == "failed"
    assert [(e["row"], e["column"]) for e in found["errors"]] == [(2, "amount")]


async def test_a_head_imports_for_their_department_s_clients_only(orbit: Orbit) -> None:
    people = await north_and_south(orbit)
    as_head = auth(people["head"]["id"], "head")
    csv = "\n".join(
        [
            CONTRACTS,
            f"k-1,acme,C-1,Support,{day(0)},{day(365)},,",
            f"k-2,zeta,C-2,Support,{day(0)},{day(365)},,",
        ]
    )
    found = await orbit.run("contracts", csv, headers=as_head)
    assert found["status"] == "failed"
    assert [(e["row"], e["column"]) for e in found["errors"]] == [(2, "client_external_id")]
    assert "scope" in found["errors"][0]["reason"]
    assert await orbit.count(Contract) == 0

    invoice = f"{INVOICES}\ni-9,zeta,,OLD-9,{day(-3)},,EUR,10"
    found = await orbit.run("invoices", invoice, headers=as_head)
    assert [(e["row"], e["column"]) for e in found["errors"]] == [(1, "client_external_id")]
    assert await orbit.count(Invoice) == 0

    # Their own department's client: imported.
    found = await orbit.run("contracts", csv.rsplit("\n", 1)[0], headers=as_head)
    assert found["status"] == "succeeded", found["errors"]
    assert await orbit.count(Contract) == 1


async def test_who_may_import_contracts_and_invoices(orbit: Orbit) -> None:
    people = await north_and_south(orbit)
    bridge = await orbit.staff("Erp Bridge", "integration", "north")
    erp = issue_token(TEST_SECRET, bridge["id"], "integration", scopes=["clients:write"])
    csv = f"{CONTRACTS}\nk-1,acme,C-1,Support,{day(0)},{day(365)},,"
    for kind in ("contracts", "invoices"):
        for headers in (
            auth(people["mia"]["id"], "manager"),
            {"Authorization": f"Bearer {erp}"},  # an integration, with the route's scope
        ):
            refused = await orbit.http.post(
                URL, headers=headers, data={"kind": kind}, files={"file": ("f.csv", csv.encode())}
            )
            assert refused.status_code == 403, refused.text
    # A header missing an invoice's columns is refused before anything is queued.
    missing = await orbit.http.post(
        URL, headers=ADMIN, data={"kind": "invoices"}, files={"file": ("f.csv", csv.encode())}
    )
    assert missing.status_code == 422 and "issue_date" in missing.text

    # Billing's internal endpoint takes a service token only, before it reads the body.
    for headers in (auth(people["head"]["id"], "head"), {}):
        internal = await orbit.billing_http.post(
            "/internal/v1/imports/contracts", headers=headers, json={"rows": "?"}
        )
        assert internal.status_code in (401, 403), internal.text
    # With one: a malformed body is a 422, a row without its key an error of that row.
    service = auth(SERVICE_SUBJECT, "service")
    path = "/internal/v1/imports/contracts"
    malformed = await orbit.billing_http.post(path, headers=service, json={"rows": "?"})
    assert malformed.status_code == 422, malformed.text
    asked = {
        "caller": {"id": people["head"]["id"], "role": "head", "department": "north"},
        "rows": [{"row": 7, "client_id": people["head"]["id"], "cells": {"number": "C-9"}}],
    }
    answer = await orbit.billing_http.post(path, headers=service, json=asked)
    assert answer.status_code == 200, answer.text
    assert answer.json()["errors"] == [{"row": 7, "column": "external_id", "reason": "required"}]


@pytest.mark.parametrize("billing_url", [None, "nothing listening"])
async def test_without_billing_the_import_fails_and_says_why(
    tmp_path: Path, billing_url: str | None
) -> None:
    """Served alone: no ORBIT_BILLING_URL, or billing not answering: a ``row: 0`` error."""
    url = billing_url and f"http://127.0.0.1:{free_port()}"
    app = clients_app(
        test_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", billing_url=url),
        clock=FixedClock(NOW),
        migrate_on_start=True,
        workers=False,
    )
    async with running(app) as http:
        clients = runtime_of(app, "clients")
        orbit = Orbit(http, clients, clients, http)
        await north_and_south(orbit)
        found = await orbit.run(
            "contracts", f"{CONTRACTS}\nk-1,acme,C-1,Support,{day(0)},{day(9)},,"
        )
    assert found["status"] == "failed"
    ((row, column, reason),) = [(e["row"], e["column"], e["reason"]) for e in found["errors"]]
    assert (row, column) == (0, None)
    assert ("did not answer" if url else "not reachable") in reason


async def test_orbit_run_imports_contracts_through_its_worker(tmp_path: Path) -> None:
    """``orbit run`` as composed (every service, workers on): the route wakes the worker, the
    rows reach billing in the process, and billing's event is published."""
    app = embedded_app(test_settings(data_dir=str(tmp_path)), clock=FixedClock(NOW))
    async with running(app) as http:
        orbit = Orbit(http, runtime_of(app, "clients"), runtime_of(app, "billing"), http)
        await north_and_south(orbit)
        csv = f"{CONTRACTS}\nk-1,acme,C-1,Support,{day(0)},{day(365)},99.00,EUR"
        queued = await http.post(
            URL, headers=ADMIN, data={"kind": "contracts"}, files={"file": ("c.csv", csv.encode())}
        )
        assert queued.status_code == 202, queued.text

        async def finished() -> dict[str, Any] | None:
            found = dict((await http.get(f"{URL}/{queued.json()['id']}", headers=ADMIN)).json())
            return found if found["status"] in ("succeeded", "failed") else None

        done = await eventually(finished, what="the import to finish")
        assert done["status"] == "succeeded" and done["outcome"]["created"] == 1, done
        (contract,) = (await http.get("/api/v1/contracts", headers=ADMIN)).json()["items"]
        assert contract["external_id"] == "k-1" and contract["value"]["amount"] == "99.00"


async def test_an_invoice_paid_in_part_arrives_with_what_was_paid(orbit: Orbit) -> None:
    await north_and_south(orbit)
    csv = "\n".join(
        [
            f"{INVOICES},amount_paid",
            f"i-1,acme,,OLD-1,{day(-5)},,EUR,100.00,40",
            f"i-2,zeta,,OLD-2,{day(-5)},,EUR,100.00,",
        ]
    )
    found = await orbit.run("invoices", csv)
    assert found["status"] == "succeeded", found["errors"]
    async with orbit.billing.reads() as session:
        rows = {i.external_id: i for i in await session.scalars(select(Invoice))}
    assert (rows["i-1"].status, rows["i-1"].amount_paid) == ("partially_paid", 40)
    assert (rows["i-2"].status, rows["i-2"].amount_paid) == ("issued", 0)
    (first, _) = await orbit.events("invoice.issued")
    assert (first["amount_paid"], first["balance"]) == ("40.00", "60.00")
