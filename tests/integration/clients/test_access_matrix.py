"""Who may do what in the clients API, one test per cell: every endpoint x caller
(manager, head, admin, plus a deactivated manager and no token at all) x object (one of the
caller's own department, or of the other department).

The rules (CONTRACT.md): an object outside the caller's scope is 404 and never listed; an
action the caller's role may not take on an object they can see is 403; allowed is 2xx; no
valid token (or the token of a deactivated member of staff) is 401. The staff directory is
readable by everyone, so staff are never 404 for scope reasons.

One PostgreSQL database and one running app serve the whole module: two departments, each
with a head, a manager (``head_id`` = the head) and a key client with a contact. The callers
all belong to the north department, so "own" objects are north's and "foreign" ones south's.
A cell that changes something either makes a harmless change (a segment, a position, a
locale) or works on objects it creates for itself (a contact to delete, a client to
reassign, a leaver to hand over), so the cells stay independent of each other's order.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.clients.app import create_app
from tests.support.apps import ADMIN, auth, running, test_settings
from tests.support.servers import fresh_postgres_database

pytestmark = pytest.mark.integration

SEEN, UNSEEN = "listed", "not listed"
Outcome = int | str


@dataclass(frozen=True)
class Department:
    name: str
    head: str
    manager: str
    client: str
    client_name: str
    contact: str


@dataclass
class World:
    http: httpx.AsyncClient
    own: Department
    foreign: Department
    callers: dict[str, dict[str, str]]
    caller_ids: dict[str, str]
    department_of: dict[str, str] = field(default_factory=dict)  # staff id -> department

    async def staff(self, name: str, role: str, department: str, head_id: str | None) -> str:
        response = await self.http.post(
            "/api/v1/staff",
            headers=ADMIN,
            json={
                "name": name,
                "email": f"{uuid.uuid4().hex[:12]}@access.example",
                "role": role,
                "department": department,
                "head_id": head_id,
            },
        )
        assert response.status_code == 201, response.text
        staff_id = str(response.json()["id"])
        self.department_of[staff_id] = department
        return staff_id

    async def client(self, name: str, manager_id: str, **extra: Any) -> str:
        response = await self.http.post(
            "/api/v1/clients",
            headers=ADMIN,
            json={
                "name": name,
                "account_manager_id": manager_id,
                **extra,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def contact(self, client_id: str, name: str, **extra: Any) -> str:
        response = await self.http.post(
            f"/api/v1/clients/{client_id}/contacts", headers=ADMIN, json={"name": name, **extra}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def admin_get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, headers=ADMIN, params=params)


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with fresh_postgres_database("access") as url:
        app = create_app(test_settings(database_url=url), migrate_on_start=True)
        async with running(app) as http:
            w = World(http, None, None, {}, {})  # type: ignore[arg-type]
            soon = (datetime.now(UTC) + timedelta(days=5)).strftime("--%m-%d")
            departments = []
            for name in ("north", "south"):
                head = await w.staff(f"Head {name}", "head", name, None)
                manager = await w.staff(f"Manager {name}", "manager", name, head)
                client_name = f"Client {name} {uuid.uuid4().hex[:6]}"
                # key tier, a billing contact (no decision-maker) with a birthday soon: the
                # client shows in every section of the portfolio report
                client = await w.client(client_name, manager, tier="key")
                contact = await w.contact(
                    client, f"Contact {name}", roles=["billing"], birthday=soon
                )
                departments.append(Department(name, head, manager, client, client_name, contact))
            w.own, w.foreign = departments
            dormant = await w.staff("Dee Deactivated", "manager", "north", w.own.head)
            response = await http.patch(
                f"/api/v1/staff/{dormant}", headers=ADMIN, json={"active": False}
            )
            assert response.status_code == 200 and response.json()["active"] is False
            w.caller_ids = {
                "manager": w.own.manager,
                "head": w.own.head,
                "admin": "",
                "deactivated": dormant,
                "anonymous": "",
            }
            w.callers = {
                "manager": auth(w.own.manager, "manager"),
                "head": auth(w.own.head, "head"),
                "admin": ADMIN,
                "deactivated": auth(dormant, "manager"),
                "anonymous": {},
            }
            yield w


@dataclass
class Cell:
    """One cell of the matrix: the caller's role, the department of the object, the world."""

    w: World
    role: str
    t: Department  # the target object's department
    other: Department
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def headers(self) -> dict[str, str]:
        return self.w.callers[self.role]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.w.http.request(method, path, headers=self.headers, **kwargs)


def status(response: httpx.Response) -> int:
    """The status code; an error must be an RFC 9457 problem of that status."""
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), (
            response.text
        )
        assert response.json()["status"] == response.status_code
        if response.status_code == 401:
            assert response.headers["www-authenticate"] == "Bearer"
    return response.status_code


def ids(response: httpx.Response, key: str = "id") -> list[str]:
    assert response.status_code == 200, response.text
    return [str(item[key]) for item in response.json()["items"]]


def listed(*seen: bool) -> Outcome:
    """Every way of finding the object must agree on whether it is visible."""
    assert len(set(seen)) == 1, f"visible one way and not another: {seen}"
    return SEEN if seen[0] else UNSEEN


# ---------------------------------------------------------------- the operations

Op = Callable[[Cell], Awaitable[Outcome]]


async def get_client(c: Cell) -> Outcome:
    response = await c.call("GET", f"/api/v1/clients/{c.t.client}")
    if response.status_code == 200:
        assert response.json()["account_manager_id"] == c.t.manager
    return status(response)


async def patch_client(c: Cell) -> Outcome:
    response = await c.call("PATCH", f"/api/v1/clients/{c.t.client}", json={"segment": c.tag})
    after = (await c.w.admin_get(f"/api/v1/clients/{c.t.client}")).json()
    assert (after["segment"] == c.tag) == (response.status_code == 200), response.text
    return status(response)


async def list_clients(c: Cell) -> Outcome:
    response = await c.call("GET", "/api/v1/clients", params={"limit": 500})
    if response.status_code != 200:
        return status(response)
    items = response.json()["items"]
    managers = {item["account_manager_id"] for item in items}
    caller_id = c.w.caller_ids[c.role]
    if c.role == "manager":  # a manager's list holds their own clients, nothing else
        assert managers == {caller_id}
    elif c.role == "head":  # a head's: their department's
        assert {c.w.department_of.get(m) for m in managers} == {"north"}
    by_manager = await c.call(
        "GET", "/api/v1/clients", params={"account_manager_id": c.t.manager, "limit": 500}
    )
    by_name = await c.call("GET", "/api/v1/clients", params={"q": c.t.client_name})
    by_tier = await c.call("GET", "/api/v1/clients", params={"tier": "key", "limit": 500})
    return listed(
        *(
            c.t.client in found
            for found in (
                [str(item["id"]) for item in items],
                ids(by_manager),
                ids(by_name),
                ids(by_tier),
            )
        )
    )


async def create_client(c: Cell) -> Outcome:
    name = f"Created {c.tag}"
    response = await c.call(
        "POST",
        "/api/v1/clients",
        json={
            "name": name,
            "account_manager_id": c.t.manager,
            "tier": "small",
        },
    )
    if response.status_code == 201:
        assert response.json()["account_manager_id"] == c.t.manager
    created = ids(await c.w.admin_get("/api/v1/clients", q=name))
    assert len(created) == (1 if response.status_code == 201 else 0)
    return status(response)


async def _assign(c: Cell, to_manager: str) -> Outcome:
    """Reassign a client of ``c.t.manager`` made for this cell to ``to_manager``."""
    client = await c.w.client(f"To assign {c.tag}", c.t.manager)
    response = await c.call(
        "POST",
        f"/api/v1/clients/{client}/assign",
        json={"account_manager_id": to_manager, "reason": c.tag},
    )
    moved = response.status_code == 200
    after = (await c.w.admin_get(f"/api/v1/clients/{client}")).json()
    assert after["account_manager_id"] == (to_manager if moved else c.t.manager), response.text
    history = (await c.w.admin_get(f"/api/v1/clients/{client}/assignments")).json()["items"]
    assert [h["to_manager_id"] for h in history] == (
        [c.t.manager, to_manager] if moved else [c.t.manager]
    )
    if moved:
        assert history[-1]["reason"] == c.tag and history[-1]["from_manager_id"] == c.t.manager
    return status(response)


async def assign_client(c: Cell) -> Outcome:
    """Within the client's department: to its head (a managing role in the same team)."""
    return await _assign(c, c.t.head)


async def assign_across(c: Cell) -> Outcome:
    """To the other department's manager."""
    return await _assign(c, c.other.manager)


async def list_assignments(c: Cell) -> Outcome:
    response = await c.call("GET", f"/api/v1/clients/{c.t.client}/assignments")
    if response.status_code == 200:
        assert ids(response, "to_manager_id")[0] == c.t.manager
    return status(response)


async def create_contact(c: Cell) -> Outcome:
    name = f"New contact {c.tag}"
    response = await c.call(
        "POST", f"/api/v1/clients/{c.t.client}/contacts", json={"name": name, "position": "buyer"}
    )
    contacts = (await c.w.admin_get(f"/api/v1/clients/{c.t.client}/contacts", limit=500)).json()[
        "items"
    ]
    created = [item for item in contacts if item["name"] == name]
    assert len(created) == (1 if response.status_code == 201 else 0), response.text
    return status(response)


async def list_contacts(c: Cell) -> Outcome:
    response = await c.call("GET", f"/api/v1/clients/{c.t.client}/contacts", params={"limit": 500})
    if response.status_code == 200:
        assert c.t.contact in ids(response)
        assert {item["client_id"] for item in response.json()["items"]} == {c.t.client}
    return status(response)


async def list_all_contacts(c: Cell) -> Outcome:
    """The contacts of every client in scope: by name, and narrowed to the object's client."""
    response = await c.call("GET", "/api/v1/contacts", params={"limit": 500, "sort": "name"})
    of_client = await c.call("GET", "/api/v1/contacts", params={"client_id": c.t.client})
    if response.status_code != 200:
        return status(response)
    return listed(c.t.contact in ids(response), c.t.contact in ids(of_client))


async def get_contact(c: Cell) -> Outcome:
    response = await c.call("GET", f"/api/v1/contacts/{c.t.contact}")
    if response.status_code == 200:
        assert response.json()["client_id"] == c.t.client
    return status(response)


async def patch_contact(c: Cell) -> Outcome:
    response = await c.call("PATCH", f"/api/v1/contacts/{c.t.contact}", json={"position": c.tag})
    after = (await c.w.admin_get(f"/api/v1/contacts/{c.t.contact}")).json()
    assert (after["position"] == c.tag) == (response.status_code == 200), response.text
    return status(response)


async def delete_contact(c: Cell) -> Outcome:
    contact = await c.w.contact(c.t.client, f"Doomed {c.tag}")
    response = await c.call("DELETE", f"/api/v1/contacts/{contact}")
    after = await c.w.admin_get(f"/api/v1/contacts/{contact}")
    assert after.status_code == (404 if response.status_code == 204 else 200), response.text
    return status(response)


async def portfolio(c: Cell) -> Outcome:
    response = await c.call("GET", "/api/v1/reports/portfolio", params={"birthday_days": 30})
    if response.status_code != 200:
        return status(response)
    report = response.json()
    managers = [str(m["account_manager_id"]) for m in report["managers"]]
    if c.role in ("manager", "head"):  # nothing of the other department, not even counts
        assert {c.w.department_of.get(m) for m in managers} == {"north"}
        assert report["total"] == sum(m["total"] for m in report["managers"])
    narrowed = await c.call(
        "GET",
        "/api/v1/reports/portfolio",
        params={"account_manager_id": c.t.manager, "birthday_days": 30},
    )
    assert narrowed.status_code == 200, narrowed.text
    return listed(
        c.t.manager in managers,
        c.t.client in [str(k["id"]) for k in report["key_clients"]],
        c.t.client in [str(k["id"]) for k in report["without_decision_maker"]],
        c.t.contact in [str(b["contact_id"]) for b in report["upcoming_birthdays"]],
        narrowed.json()["total"] > 0,
    )


async def list_staff(c: Cell) -> Outcome:
    response = await c.call("GET", "/api/v1/staff", params={"limit": 500})
    if response.status_code != 200:
        return status(response)
    return listed(c.t.manager in ids(response), c.t.head in ids(response))


async def get_staff(c: Cell) -> Outcome:
    response = await c.call("GET", f"/api/v1/staff/{c.t.manager}")
    if response.status_code == 200:
        assert response.json()["department"] == c.t.name
    return status(response)


async def create_staff(c: Cell) -> Outcome:
    email = f"{c.tag}@access.example"
    response = await c.call(
        "POST",
        "/api/v1/staff",
        json={
            "name": f"Newcomer {c.tag}",
            "email": email,
            "role": "manager",
            "department": c.t.name,
            "head_id": c.t.head,
        },
    )
    if response.status_code == 201:
        c.w.department_of[str(response.json()["id"])] = c.t.name
    found = ids(await c.w.admin_get("/api/v1/staff", q=email))
    assert len(found) == (1 if response.status_code == 201 else 0), response.text
    return status(response)


async def patch_staff(c: Cell) -> Outcome:
    locale = f"de-x-{c.tag[:8]}"  # a private-use BCP 47 tag, unique to the cell
    response = await c.call("PATCH", f"/api/v1/staff/{c.t.manager}", json={"locale": locale})
    after = (await c.w.admin_get(f"/api/v1/staff/{c.t.manager}")).json()
    assert (after["locale"] == locale) == (response.status_code == 200), response.text
    assert after["active"] is True
    return status(response)


async def handover(c: Cell) -> Outcome:
    """A leaver of the object's department hands their (one) client to its manager."""
    leaver = await c.w.staff(f"Leaver {c.tag}", "manager", c.t.name, c.t.head)
    client = await c.w.client(f"Of a leaver {c.tag}", leaver)
    response = await c.call(
        "POST",
        f"/api/v1/staff/{leaver}/handover",
        json={"to_manager_id": c.t.manager, "reason": c.tag},
    )
    moved = response.status_code == 200
    if moved:
        assert response.json()["moved"] == 1 and response.json()["client_ids"] == [client]
    after = (await c.w.admin_get(f"/api/v1/clients/{client}")).json()
    assert after["account_manager_id"] == (c.t.manager if moved else leaver), response.text
    return status(response)


# ---------------------------------------------------------------- the matrix

ROLES = ("manager", "head", "admin", "deactivated", "anonymous")


@dataclass(frozen=True)
class Row:
    endpoint: str
    op: Op
    # (own, foreign) per role; the deactivated manager and the caller without a token get
    # 401 everywhere
    manager: tuple[Outcome, Outcome]
    head: tuple[Outcome, Outcome]
    admin: tuple[Outcome, Outcome]

    def expected(self, role: str, side: str) -> Outcome:
        if role in ("deactivated", "anonymous"):
            return 401
        pair: tuple[Outcome, Outcome] = getattr(self, role)
        return pair[0] if side == "own" else pair[1]


# fmt: off
MATRIX: dict[str, Row] = {
    # key               Row(endpoint, operation,
    #                       manager         head            admin      (own, foreign) each
    "get-client":       Row("GET /clients/{id}", get_client,
                            (200, 404),     (200, 404),     (200, 200)),
    "patch-client":     Row("PATCH /clients/{id} (segment)", patch_client,
                            (200, 404),     (200, 404),     (200, 200)),
    "list-clients":     Row("GET /clients (plain, by manager, by name, by tier)", list_clients,
                            (SEEN, UNSEEN), (SEEN, UNSEEN), (SEEN, SEEN)),
    "create-client":    Row("POST /clients (for the department's manager)", create_client,
                            (201, 403),     (201, 403),     (201, 201)),
    "assign":           Row("POST /clients/{id}/assign (to the department's head)",
                            assign_client,
                            (403, 404),     (200, 404),     (200, 200)),
    "assign-across":    Row("POST /clients/{id}/assign (to the other department)",
                            assign_across,
                            (403, 404),     (403, 404),     (200, 200)),
    "assignments":      Row("GET /clients/{id}/assignments", list_assignments,
                            (200, 404),     (200, 404),     (200, 200)),
    "create-contact":   Row("POST /clients/{id}/contacts", create_contact,
                            (201, 404),     (201, 404),     (201, 201)),
    "list-contacts":    Row("GET /clients/{id}/contacts", list_contacts,
                            (200, 404),     (200, 404),     (200, 200)),
    "all-contacts":     Row("GET /contacts (by name, of the client)", list_all_contacts,
                            (SEEN, UNSEEN), (SEEN, UNSEEN), (SEEN, SEEN)),
    "get-contact":      Row("GET /contacts/{id}", get_contact,
                            (200, 404),     (200, 404),     (200, 200)),
    "patch-contact":    Row("PATCH /contacts/{id} (position)", patch_contact,
                            (200, 404),     (200, 404),     (200, 200)),
    "delete-contact":   Row("DELETE /contacts/{id} (made for the cell)", delete_contact,
                            (204, 404),     (204, 404),     (204, 204)),
    "portfolio":        Row("GET /reports/portfolio (every section)", portfolio,
                            (SEEN, UNSEEN), (SEEN, UNSEEN), (SEEN, SEEN)),
    "list-staff":       Row("GET /staff", list_staff,
                            (SEEN, SEEN),   (SEEN, SEEN),   (SEEN, SEEN)),
    "get-staff":        Row("GET /staff/{id}", get_staff,
                            (200, 200),     (200, 200),     (200, 200)),
    "create-staff":     Row("POST /staff", create_staff,
                            (403, 403),     (403, 403),     (201, 201)),
    "patch-staff":      Row("PATCH /staff/{id} (locale)", patch_staff,
                            (403, 403),     (403, 403),     (200, 200)),
    "handover":         Row("POST /staff/{id}/handover (a leaver's one client)", handover,
                            (403, 403),     (200, 403),     (200, 200)),
}
# fmt: on

CELLS = [
    pytest.param(row, role, side, id=f"{row}-{role}-{side}")
    for row in MATRIX
    for role in ROLES
    for side in ("own", "foreign")
]


@pytest.mark.parametrize(("row", "role", "side"), CELLS)
async def test_access(world: World, row: str, role: str, side: str) -> None:
    entry = MATRIX[row]
    target, other = (world.own, world.foreign) if side == "own" else (world.foreign, world.own)
    cell = Cell(world, role, target, other)
    outcome = await entry.op(cell)
    assert outcome == entry.expected(role, side), (
        f"{entry.endpoint} as {role} on a {side} object: {outcome!r}"
    )


async def test_deactivated_manager_is_locked_out_at_once(world: World) -> None:
    manager = await world.staff("Lea Leaving", "manager", "north", world.own.head)
    headers = auth(manager, "manager")
    assert (await world.http.get("/api/v1/clients", headers=headers)).status_code == 200
    response = await world.http.patch(
        f"/api/v1/staff/{manager}", headers=ADMIN, json={"active": False}
    )
    assert response.status_code == 200, response.text
    for path in (
        "/api/v1/clients",
        "/api/v1/staff",
        "/api/v1/reports/portfolio",
        f"/api/v1/staff/{manager}",
    ):
        response = await world.http.get(path, headers=headers)
        assert status(response) == 401, path
    # reactivated: the same token works again
    response = await world.http.patch(
        f"/api/v1/staff/{manager}", headers=ADMIN, json={"active": True}
    )
    assert response.status_code == 200, response.text
    assert (await world.http.get("/api/v1/clients", headers=headers)).status_code == 200
