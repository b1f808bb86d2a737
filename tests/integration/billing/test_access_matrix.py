"""Who may do what in the billing API, one test per cell: every endpoint x caller (manager,
head, admin, a ``service`` token, a deactivated manager, no token) x object (one of the
caller's own department, or of the other department).

The rules (CONTRACT.md): an object outside the caller's scope is 404 and never listed; only
admins and the client's manager or head act on its billing; a ``service`` token (a bank
import) may book payments for any client and do nothing else (403); no valid token, or the
token of a deactivated member of staff, is 401.

One PostgreSQL database and one running app serve the whole module: two departments, each
with a head, a manager (``head_id`` = the head) and a client with a contract, an issued
invoice, a payment, an estimate and an opportunity. The callers belong to the north
department. A cell that changes something works on objects it creates for itself (with the
admin token), so the cells stay independent of each other's order.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.billing.app import create_app
from shared.clock import FixedClock
from tests.integration.billing.helpers import NOW, Api, billing_settings
from tests.support.apps import ADMIN, auth, running, runtime_of
from tests.support.servers import fresh_postgres_database

pytestmark = pytest.mark.integration

SEEN, UNSEEN = "listed", "not listed"


@dataclass
class Department:
    client: str
    contract: str
    invoice: str
    payment: str
    estimate: str
    opportunity: str


@dataclass
class World:
    api: Api
    departments: dict[str, Department]
    callers: dict[str, dict[str, str]]

    async def admin(
        self, path: str, body: dict[str, Any] | None = None, expect: int = 201
    ) -> dict[str, Any]:
        return dict(await self.api.post(path, body, ADMIN, expect=expect))

    async def draft(self, dept: Department) -> str:
        return str((await self.api.invoice(dept.client))["id"])

    async def issued(self, dept: Department) -> str:
        return str((await self.api.invoice(dept.client, issue={}))["id"])

    async def estimate(self, dept: Department, approved: bool = False) -> str:
        estimate = await self.admin(
            "/api/v1/estimates",
            {
                "client_id": dept.client,
                "title": "Extra work",
                "currency": "EUR",
                "lines": [{"description": "x", "quantity": "2", "unit_price": "50"}],
            },
        )
        if approved:
            await self.admin(f"/api/v1/estimates/{estimate['id']}/approve", expect=200)
        return str(estimate["id"])


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with fresh_postgres_database("billing_access") as url:
        # The app and the dates below share one fixed clock (a promise must lie ahead of it).
        clock = FixedClock(NOW)
        app = create_app(billing_settings(url), clock=clock, migrate_on_start=True)
        async with running(app) as http:
            api = Api(http, runtime_of(app, "billing"), clock)
            w = World(api, {}, {})
            ids: dict[str, str] = {}
            for name in ("north", "south"):
                head = await api.staff(f"Head {name}", "head", department=name)
                manager = await api.staff(f"Manager {name}", department=name, head_id=head)
                ids[f"head {name}"], ids[f"manager {name}"] = head, manager
                client = await api.client(f"Client {name}", manager)
                contract = await w.admin(
                    "/api/v1/contracts",
                    {
                        "client_id": client,
                        "number": "C-1",
                        "title": "Support",
                        "starts_on": "2026-01-01",
                        "ends_on": "2026-12-31",
                        "budget": {"amount": "1000", "currency": "EUR"},
                    },
                )
                invoice = await api.invoice(client, issue={})
                payment = await w.admin(
                    "/api/v1/payments",
                    {
                        "client_id": client,
                        "amount": "10.00",
                        "currency": "EUR",
                        "reference": f"seed-{name}",
                    },
                )
                dept = Department(client, contract["id"], invoice["id"], payment["id"], "", "")
                dept.estimate = await w.estimate(dept)
                dept.opportunity = (
                    await w.admin("/api/v1/opportunities", {"client_id": client, "title": "Upsell"})
                )["id"]
                w.departments[name] = dept
            dormant = await api.staff(
                "Dee", department="north", head_id=ids["head north"], active=False
            )
            bank = await api.staff("Bank import", "service")
            w.callers = {
                "manager": auth(ids["manager north"], "manager"),
                "head": auth(ids["head north"], "head"),
                "admin": ADMIN,
                "service": auth(bank, "service"),
                "deactivated": auth(dormant, "manager"),
                "anonymous": {},
            }
            yield w


Call = Callable[[World, Department, dict[str, str]], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Endpoint:
    name: str
    call: Call
    ok: int | None = 200  # None: a list (the object is listed or not)
    listed: Callable[[Department], str] | None = None
    service: int = 403


def get(path: Callable[[Department], str]) -> Call:
    async def call(w: World, d: Department, h: dict[str, str]) -> httpx.Response:
        return await w.api.http.get(path(d), headers=h)

    return call


def send(
    method: str,
    path: Callable[[World, Department], Awaitable[str]],
    body: Callable[[Department], dict[str, Any] | None] = lambda d: None,
) -> Call:
    async def call(w: World, d: Department, h: dict[str, str]) -> httpx.Response:
        url = await path(w, d)
        return await w.api.http.request(method, url, json=body(d), headers=h)

    return call


def fixed(template: str) -> Callable[[World, Department], Awaitable[str]]:
    async def path(w: World, d: Department) -> str:
        return template.format(d=d)

    return path


def fresh(
    template: str, make: Callable[[World, Department], Awaitable[str]]
) -> Callable[[World, Department], Awaitable[str]]:
    async def path(w: World, d: Department) -> str:
        return template.format(id=await make(w, d))

    return path


async def _contract(w: World, d: Department) -> str:
    return str(
        (
            await w.admin(
                "/api/v1/contracts",
                {
                    "client_id": d.client,
                    "number": uuid.uuid4().hex[:8],
                    "title": "T",
                    "starts_on": "2026-01-01",
                    "ends_on": "2026-06-30",
                },
            )
        )["id"]
    )


ENDPOINTS = [
    Endpoint(
        "create contract",
        send(
            "POST",
            fixed("/api/v1/contracts"),
            lambda d: {
                "client_id": d.client,
                "number": uuid.uuid4().hex[:8],
                "title": "T",
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
            },
        ),
        201,
    ),
    Endpoint("list contracts", get(lambda d: "/api/v1/contracts"), None, lambda d: d.contract),
    Endpoint("get contract", get(lambda d: f"/api/v1/contracts/{d.contract}")),
    Endpoint(
        "patch contract",
        send("PATCH", fixed("/api/v1/contracts/{d.contract}"), lambda d: {"title": "Support"}),
    ),
    Endpoint("renew contract", send("POST", fresh("/api/v1/contracts/{id}/renew", _contract))),
    Endpoint(
        "create invoice",
        send(
            "POST",
            fixed("/api/v1/invoices"),
            lambda d: {"client_id": d.client, "currency": "EUR", "lines": []},
        ),
        201,
    ),
    Endpoint("list invoices", get(lambda d: "/api/v1/invoices"), None, lambda d: d.invoice),
    Endpoint("get invoice", get(lambda d: f"/api/v1/invoices/{d.invoice}")),
    Endpoint(
        "patch invoice",
        send("PATCH", fresh("/api/v1/invoices/{id}", World.draft), lambda d: {"notes": "n"}),
    ),
    Endpoint("issue invoice", send("POST", fresh("/api/v1/invoices/{id}/issue", World.draft))),
    Endpoint("void invoice", send("POST", fresh("/api/v1/invoices/{id}/void", World.issued))),
    Endpoint(
        "promise to pay",
        send(
            "POST",
            fresh("/api/v1/invoices/{id}/promise", World.issued),
            lambda d: {"promised_on": "2026-12-01"},
        ),
    ),
    Endpoint(
        "book payment",
        send(
            "POST",
            fixed("/api/v1/payments"),
            lambda d: {
                "client_id": d.client,
                "amount": "1.00",
                "currency": "EUR",
                "reference": uuid.uuid4().hex,
            },
        ),
        201,
        service=201,
    ),
    Endpoint("list payments", get(lambda d: "/api/v1/payments"), None, lambda d: d.payment),
    Endpoint("get payment", get(lambda d: f"/api/v1/payments/{d.payment}")),
    Endpoint("client credit", get(lambda d: f"/api/v1/clients/{d.client}/credit")),
    Endpoint(
        "create estimate",
        send(
            "POST",
            fixed("/api/v1/estimates"),
            lambda d: {
                "client_id": d.client,
                "title": "E",
                "currency": "EUR",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
            },
        ),
        201,
    ),
    Endpoint("list estimates", get(lambda d: "/api/v1/estimates"), None, lambda d: d.estimate),
    Endpoint("get estimate", get(lambda d: f"/api/v1/estimates/{d.estimate}")),
    Endpoint(
        "approve estimate", send("POST", fresh("/api/v1/estimates/{id}/approve", World.estimate))
    ),
    Endpoint(
        "invoice estimate",
        send(
            "POST",
            fresh("/api/v1/estimates/{id}/invoice", lambda w, d: w.estimate(d, approved=True)),
        ),
        201,
    ),
    Endpoint(
        "create opportunity",
        send(
            "POST",
            fixed("/api/v1/opportunities"),
            lambda d: {"client_id": d.client, "title": "More seats"},
        ),
        201,
    ),
    Endpoint(
        "list opportunities", get(lambda d: "/api/v1/opportunities"), None, lambda d: d.opportunity
    ),
    Endpoint("get opportunity", get(lambda d: f"/api/v1/opportunities/{d.opportunity}")),
    Endpoint(
        "patch opportunity",
        send(
            "PATCH", fixed("/api/v1/opportunities/{d.opportunity}"), lambda d: {"title": "Upsell"}
        ),
    ),
    # reports list the client ids of their rows
    Endpoint("aging report", get(lambda d: "/api/v1/reports/aging"), None, lambda d: d.client),
    Endpoint("ltv report", get(lambda d: "/api/v1/reports/ltv"), None, lambda d: d.client),
    Endpoint(
        "payment discipline report",
        get(lambda d: "/api/v1/reports/payment-discipline"),
        None,
        lambda d: d.client,
    ),
    Endpoint(
        "aging report as csv",
        get(lambda d: "/api/v1/reports/aging?format=csv"),
        None,
        lambda d: d.client,
    ),
]


def expected(endpoint: Endpoint, caller: str, own: bool) -> int | str:
    if caller in ("anonymous", "deactivated"):
        return 401
    if caller == "service":
        return endpoint.service
    visible = caller == "admin" or own
    if endpoint.ok is None:
        return SEEN if visible else UNSEEN
    return endpoint.ok if visible else 404


@pytest.mark.parametrize("whose", ["own", "foreign"])
@pytest.mark.parametrize(
    "caller", ["manager", "head", "admin", "service", "deactivated", "anonymous"]
)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_access(world: World, endpoint: Endpoint, caller: str, whose: str) -> None:
    dept = world.departments["north" if whose == "own" else "south"]
    response = await endpoint.call(world, dept, world.callers[caller])
    want = expected(endpoint, caller, whose == "own")
    if endpoint.ok is None and response.status_code == 200:
        assert endpoint.listed is not None
        if response.headers["content-type"].startswith("text/csv"):
            ids = {line.split(",")[0] for line in response.text.splitlines()}
        elif "rows" in response.json():
            ids = {str(row["client_id"]) for row in response.json()["rows"]}
        else:
            ids = {item["id"] for item in response.json()["items"]}
        got: int | str = SEEN if endpoint.listed(dept) in ids else UNSEEN
    else:
        got = response.status_code
    assert got == want, response.text
    if isinstance(got, int) and got >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
