"""The object-level authorization matrix, generated from docs/openapi.json (the merged,
checked-in document, which tests/unit/test_api_docs.py holds equal to the code): every
operation x every kind of caller, so a new endpoint cannot be forgotten.

``OPS`` maps each ``operationId`` to how to call it on the north department's objects (its
path, a valid body, fresh objects for the actions that change state); the first test fails
when the OpenAPI has an operation ``OPS`` does not know (or the other way round). The rules
(CONTRACT.md): a bad token (none, expired, wrong signature, ``alg: none``, a deactivated
member of staff) is 401; an object out of the caller's scope is 404, never 200 or 403; no
response to a caller out of scope names any of north's objects (not in a list, not in a
report); an action the caller's role may not take is 403.

One embedded app (every service, the in-process bus) serves the whole matrix, once on SQLite
(the embedded mode's files) and once on PostgreSQL (four fresh databases, one per service:
the scope checks are SQL, so each dialect answers them), with two departments each with a
head, a manager and a client with a contact, interactions (a request, a meeting with its
report), a task, feedback, a contract, an issued invoice, a payment, an estimate and an
opportunity. The callers are seen from north's objects: its
manager, another manager of north, south's manager, north's head, south's head, the admin, a
``service`` token, an integration holding exactly the scopes the operation documents (its
OpenAPI security requirement), the same integration with none, and five bad tokens — every
operation x 14 callers, one test per operation and database (its message lists every wrong
cell). An operation documenting several scopes is also refused (403 naming it) to the
integration holding all but one of them.

What the matrix found and pins: a ``service`` token outside billing is a caller with no scope
(objects 404, lists and reports empty), in billing it is refused (403) but for booking
payments; a head may hand over a leaver of their department; a manager or head creating a
client for someone they may not assign it to is 403. An integration within its scopes sees
and works every client, as an admin does, and is refused (403) what only admins or heads may
do (staff, assignments, settings, rules, webhooks, scheduled reports) and a calendar feed; one
without the operation's scope is refused everything, by a 403 naming the scope it lacks.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.apidoc import OPENAPI_FILE, openapi_document
from services.embedded import embedded_app
from services.notifications.api.presenters import rules_out
from services.notifications.domain.rules import DEFAULT_RULES
from shared.auth import issue_token
from tests.support.apps import ADMIN, TEST_SECRET, auth, running, test_settings, token
from tests.support.servers import ROOT, fresh_service_databases
from tests.support.waiting import eventually

CALLERS = [
    "own_manager",  # north's manager, the account manager of north's client
    "peer_manager",  # another manager of north (same head), not the account manager
    "other_manager",  # south's manager
    "own_head",  # north's head
    "other_head",  # south's head
    "admin",
    "service",
    "integration",  # with the operation's documented scopes, exactly
    "integration_unscoped",  # with none
    "no_token",
    "expired_token",
    "wrong_signature",
    "alg_none",
    "deactivated",
]
BAD_TOKENS = {"no_token", "expired_token", "wrong_signature", "alg_none", "deactivated"}
# Callers who may not see north's clients (a service token outside billing has no scope).
FOREIGN = frozenset({"peer_manager", "other_manager", "other_head", "service"})
INTEGRATIONS = frozenset({"integration", "integration_unscoped"})
OWN_SIDE = frozenset({"own_manager", "own_head"})  # besides admin: who sees north's objects
STAFF = frozenset({"own_manager", "peer_manager", "other_manager", "own_head", "other_head"})


def iso(at: datetime) -> str:
    return at.isoformat()


def alg_none_token(sub: str, role: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': sub, 'role': role, 'exp': exp})}."


@dataclass
class Side:
    head: str = ""
    manager: str = ""
    client: str = ""
    client_name: str = ""
    contact: str = ""
    interaction: str = ""
    request: str = ""
    meeting: str = ""
    planned: str = ""  # a planned meeting
    task: str = ""
    feedback: str = ""
    contract: str = ""
    invoice: str = ""
    payment: str = ""
    estimate: str = ""
    opportunity: str = ""
    file: str = ""  # a document attached to the invoice (its client through billing)
    notification: str = ""

    def object_ids(self) -> list[str]:
        """What a caller out of scope must never see (staff are a public directory)."""
        return [
            v for k, v in vars(self).items() if k not in ("head", "manager", "notification") and v
        ]


@dataclass
class World:
    http: httpx.AsyncClient
    north: Side
    south: Side
    callers: dict[str, dict[str, str]] = field(default_factory=dict)
    peer: str = ""
    integration: str = ""  # an integration's staff record (its tokens carry the scopes)

    async def admin(
        self, method: str, path: str, body: dict[str, Any] | None = None, expect: int = 201
    ) -> dict[str, Any]:
        response = await self.http.request(method, path, headers=ADMIN, json=body)
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        return dict(response.json())

    async def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 201) -> str:
        return str((await self.admin("POST", path, body, expect))["id"])

    # ---- fresh objects of north, made by the admin, for the actions that change state
    async def staff(self, role: str = "manager", **extra: Any) -> str:
        return await self.post(
            "/api/v1/staff",
            {
                "name": f"Staff {uuid.uuid4().hex[:6]}",
                "email": f"{uuid.uuid4().hex[:12]}@authz.example",
                "role": role,
                **extra,
            },
        )

    async def client(self) -> str:
        return await self.post(
            "/api/v1/clients",
            {"name": f"Client {uuid.uuid4().hex[:8]}", "account_manager_id": self.north.manager},
        )

    async def contact(self) -> str:
        return await self.post(f"/api/v1/clients/{self.north.client}/contacts", {"name": "C"})

    async def file(self) -> str:
        """A document attached to north's invoice."""
        response = await self.http.post(
            "/api/v1/files",
            headers=ADMIN,
            data={"owner_type": "invoice", "owner_id": self.north.invoice},
            files={"file": ("act.pdf", b"%PDF-1.4 act", "application/pdf")},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def file_link(self) -> str:
        """The signed download link of a document of north's (the link is the credential)."""
        found = await self.admin("GET", f"/api/v1/files/{await self.file()}", expect=200)
        return str(found["download_url"])

    async def import_(self) -> str:
        """A dry run of north's head (an import is its author's, and any admin's)."""
        data, files = import_form(self)
        response = await self.http.post(
            "/api/v1/imports", headers=self.callers["own_head"], data=data, files=files
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def interaction(self, **extra: Any) -> dict[str, Any]:
        body = {
            "client_id": self.north.client,
            "type": "email",
            "direction": "inbound",
            "occurred_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
            **extra,
        }
        return await self.admin("POST", "/api/v1/interactions", body)

    async def meeting(self) -> str:
        return str(
            (
                await self.interaction(
                    type="meeting",
                    direction="outbound",
                    occurred_at=iso(datetime.now(UTC) - timedelta(hours=1)),
                )
            )["id"]
        )

    async def logged(self) -> str:
        return str((await self.interaction(type="note", direction="internal"))["id"])

    async def reported_meeting(self) -> str:
        meeting = await self.meeting()
        await self.admin("POST", f"/api/v1/interactions/{meeting}/report", {"summary": "done"})
        return meeting

    async def request(self, held: bool = False) -> str:
        request_id = str((await self.interaction(requires_response=True))["request_id"])
        if held:
            await self.admin(
                "POST", f"/api/v1/requests/{request_id}/hold", {"reason": "waiting"}, 200
            )
        return request_id

    async def task(self) -> str:
        return await self.post("/api/v1/tasks", task_body(self))

    async def feedback(self) -> str:
        return await self.post(
            "/api/v1/feedback", {"client_id": self.north.client, "kind": "csat", "score": 4}
        )

    async def planned_meeting(self) -> str:
        """A meeting planned to start in two minutes (so it may be marked held at once: the
        app runs on the real clock)."""
        return await self.post("/api/v1/meetings", meeting_body(self))

    async def draft(self) -> str:
        return await self.post("/api/v1/invoices", invoice_body(self))

    async def issued(self) -> str:
        draft = await self.draft()
        await self.admin("POST", f"/api/v1/invoices/{draft}/issue", {}, 200)
        return draft

    async def contract(self) -> str:
        return await self.post("/api/v1/contracts", contract_body(self))

    async def estimate(self, approved: bool = False) -> str:
        estimate = await self.post("/api/v1/estimates", estimate_body(self))
        if approved:
            await self.admin("POST", f"/api/v1/estimates/{estimate}/approve", None, 200)
        return estimate

    async def payment(self) -> str:
        return await self.post(
            "/api/v1/payments",
            {
                "client_id": self.north.client,
                "amount": "1.00",
                "currency": "EUR",
                "reference": uuid.uuid4().hex,
            },
        )

    async def webhook(self) -> str:
        return await self.post("/api/v1/webhooks", webhook_body(self))


def webhook_body(w: World) -> dict[str, Any]:
    # a public address literal: no DNS lookup (none here), and the SSRF rules let it through
    return {
        "url": "https://93.184.216.34/orbit",
        "event_types": ["orbit.billing.invoice.overdue.v1"],
    }


def rules_body(w: World) -> list[dict[str, Any]]:
    """The defaults, as a PUT of the rules takes them (saving them changes nothing)."""
    return [r.model_dump(mode="json", exclude_none=True) for r in rules_out(DEFAULT_RULES)]


def task_body(w: World) -> dict[str, Any]:
    return {
        "client_id": w.north.client,
        "title": "Send offer",
        "due_at": iso(datetime.now(UTC) + timedelta(days=2)),
        "assignee_id": w.north.manager,
    }


def meeting_body(w: World) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=2)
    return {
        "client_id": w.north.client,
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)),
        "subject": "Review",
        "contact_ids": [w.north.contact],
    }


def reschedule_body(w: World) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=2)
    return {
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)),
        "reason": "the client asked",
    }


def invoice_body(w: World) -> dict[str, Any]:
    return {
        "client_id": w.north.client,
        "currency": "EUR",
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "100.00"}],
    }


def contract_body(w: World) -> dict[str, Any]:
    return {
        "client_id": w.north.client,
        "number": uuid.uuid4().hex[:8],
        "title": "Support",
        # a year from today (the app runs on the real clock)
        "starts_on": str(datetime.now(UTC).date()),
        "ends_on": str(datetime.now(UTC).date() + timedelta(days=364)),
    }


def estimate_body(w: World) -> dict[str, Any]:
    return {
        "client_id": w.north.client,
        "title": "Extra work",
        "currency": "EUR",
        "lines": [{"description": "x", "quantity": "2", "unit_price": "50"}],
    }


async def seed(w: World, name: str, side: Side) -> None:
    side.head = await w.staff("head", department=name)
    side.manager = await w.staff("manager", department=name, head_id=side.head)
    side.client_name = f"Client {name} {uuid.uuid4().hex[:8]}"
    side.client = await w.post(
        "/api/v1/clients",
        {"name": side.client_name, "account_manager_id": side.manager, "tier": "key"},
    )
    side.contact = await w.post(f"/api/v1/clients/{side.client}/contacts", {"name": "Contact"})

    async def replicated() -> bool:  # interactions and billing took the client's events
        credit = await w.http.get(f"/api/v1/clients/{side.client}/credit", headers=ADMIN)
        tasks = await w.http.post("/api/v1/tasks", headers=ADMIN, json=task_body(w))
        if tasks.status_code == 201:
            side.task = str(tasks.json()["id"])
        return credit.status_code == 200 and tasks.status_code == 201

    await eventually(replicated, timeout=30, what=f"{name}'s client in every service")
    inbound = await w.interaction(requires_response=True)
    side.interaction, side.request = str(inbound["id"]), str(inbound["request_id"])
    side.meeting = await w.meeting()
    await w.admin("POST", f"/api/v1/interactions/{side.meeting}/report", {"summary": "done"})
    side.planned = await w.planned_meeting()
    side.feedback = await w.post(
        "/api/v1/feedback", {"client_id": side.client, "kind": "nps", "score": 9}
    )
    side.contract = await w.contract()
    side.invoice = await w.issued()
    side.file = await w.file()
    side.payment = await w.post(
        "/api/v1/payments",
        {"client_id": side.client, "amount": "10.00", "currency": "EUR", "reference": name},
    )
    side.estimate = await w.estimate()
    side.opportunity = await w.post(
        "/api/v1/opportunities", {"client_id": side.client, "title": "Upsell"}
    )
    manager = auth(side.manager, "manager")

    async def notified() -> list[Any]:
        response = await w.http.get("/api/v1/notifications", headers=manager)
        return list(response.json()["items"]) if response.status_code == 200 else []

    side.notification = str((await eventually(notified, what="a notification"))[0]["id"])


def integration(staff_id: str, scopes: Iterable[str]) -> dict[str, str]:
    """The headers of an integration's token with these scopes."""
    signed = issue_token(TEST_SECRET, staff_id, "integration", scopes=scopes)
    return {"Authorization": f"Bearer {signed}"}


async def _replicated_everywhere(
    http: httpx.AsyncClient, active: dict[str, str], inactive: list[str]
) -> None:
    """Every service knows the staff made last (``active``: id -> role; and that
    ``inactive`` left)."""
    feeds = ["/api/v1/interactions", "/api/v1/invoices", "/api/v1/notifications"]

    async def known() -> bool:
        for path in feeds:
            for staff_id, role in active.items():
                response = await http.get(path, headers=auth(staff_id, role))
                if response.status_code == 401:
                    return False
            for staff_id in inactive:
                response = await http.get(path, headers=auth(staff_id, "manager"))
                if response.status_code != 401:
                    return False
        return True

    await eventually(known, timeout=30, what="the last staff in every service")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        if request.param == "postgresql":
            urls = await fresh_service_databases(stack, "authz")
        data = tmp_path_factory.mktemp("authz")
        app = embedded_app(test_settings(data_dir=str(data), **urls))
        http = await stack.enter_async_context(running(app))
        north, south = Side(), Side()
        w = World(http, north, south)
        for name, side in (("north", north), ("south", south)):
            w.north = side  # seed() builds its bodies from w.north: the side being seeded
            await seed(w, name, side)
        w.north, w.south = north, south
        w.peer = await w.staff("manager", department="north", head_id=w.north.head)
        service = await w.staff("service")
        w.integration = await w.staff("integration")
        dormant = await w.staff("manager", department="north", head_id=w.north.head)
        await w.admin("PATCH", f"/api/v1/staff/{dormant}", {"active": False}, 200)
        active = {w.peer: "manager", service: "service", w.integration: "integration"}
        await _replicated_everywhere(http, active, [dormant])
        w.callers = {
            "own_manager": auth(w.north.manager, "manager"),
            "peer_manager": auth(w.peer, "manager"),
            "other_manager": auth(w.south.manager, "manager"),
            "own_head": auth(w.north.head, "head"),
            "other_head": auth(w.south.head, "head"),
            "admin": ADMIN,
            "service": auth(service, "service"),
            "integration_unscoped": integration(w.integration, []),
            "no_token": {},
            "expired_token": {
                "Authorization": f"Bearer {token(w.north.manager, 'manager', ttl=-120)}"
            },
            "wrong_signature": {
                "Authorization": "Bearer "
                + token(w.north.manager, "manager", secret="not-the-secret-" + "x" * 40)
            },
            "alg_none": {"Authorization": f"Bearer {alg_none_token(w.north.manager, 'admin')}"},
            "deactivated": auth(dormant, "manager"),
        }
        yield w


# ---------------------------------------------------------------- the table of operations

PathFn = Callable[[World], Awaitable[str]]
BodyFn = Callable[[World], dict[str, Any] | None]
# A multipart upload instead of a JSON body: (form fields, files).
Form = tuple[dict[str, str], dict[str, tuple[Any, ...]]]
FormFn = Callable[[World], Form]


def import_form(w: World) -> Form:
    csv = "external_id,name,tier,country,timezone,account_manager_email\n"
    csv += f"authz-{uuid.uuid4().hex[:8]},Imported,standard,DE,Europe/Berlin,\n"
    return {"kind": "clients", "dry_run": "true"}, {"file": ("clients.csv", csv.encode())}


def invoice_document(w: World) -> Form:
    """A document attached to north's invoice (``POST /api/v1/files``)."""
    fields = {"owner_type": "invoice", "owner_id": w.north.invoice}
    return fields, {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}


def at(template: str) -> PathFn:
    """A path naming north's seeded objects: ``{n.client}``…"""

    async def path(w: World) -> str:
        return template.format(n=w.north)

    return path


def fresh(template: str, make: Callable[[World], Awaitable[str]]) -> PathFn:
    """A path naming an object made for this call alone (the call may change it)."""

    async def path(w: World) -> str:
        return template.format(id=await make(w))

    return path


@dataclass(frozen=True)
class Op:
    path: PathFn
    body: BodyFn = lambda w: None
    ok: int = 200
    # "object": names north's objects (404 out of scope); "list": lists or reports (200, out of
    # scope north's objects absent); "staff": the public staff directory; "public": no auth;
    # "signed": a webhook signed by an integration (a bearer token is no signature: 401).
    kind: str = "object"
    sees: frozenset[str] = OWN_SIDE  # who sees the target besides the admin
    denied: frozenset[str] = frozenset()  # who sees it but may not do this: 403
    admin_sees: bool = True  # False: the target is its owner's alone (a feed entry)
    company_sees: bool = True  # False: an integration does not see it, though an admin does
    service: int | None = None  # a service token's status (None: a caller with no scope)
    listed: Callable[[Side], str] | None = None  # a list: the id it must show to who sees it
    form: FormFn | None = None  # a multipart upload (instead of ``body``)


def listing(path: str, what: Callable[[Side], str] | None = None, **kw: Any) -> Op:
    kw.setdefault("kind", "list")
    return Op(at(path + ("&" if "?" in path else "?") + "limit=500"), listed=what, **kw)


ADMIN_ONLY = STAFF | {"service", "integration"}  # everyone but the admin is refused
SERVICE_ONLY = frozenset({"service"})  # only the service token is refused


def call_record() -> dict[str, Any]:
    return {
        "direction": "inbound",
        "from": "+49301234567",
        "to": "+49302222222",
        "started_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
        "duration_seconds": 0,
        "answered": False,
    }


async def calendar_feed(w: World, owner: str) -> dict[str, Any]:
    response = await w.http.post("/api/v1/calendar/feeds", headers=auth(owner, "manager"))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def own_feed(w: World) -> str:
    """A feed of north's manager (the only one who may revoke it)."""
    return str((await calendar_feed(w, w.north.manager))["id"])


async def peer_feed_token(w: World) -> str:
    """The token of a feed of north's other manager, who has no client: its URL is the
    credential (any caller, any token or none, reads it) and shows nothing of north's."""
    url = str((await calendar_feed(w, w.peer))["url"])
    return url.removeprefix("/api/v1/calendar/feeds/").removesuffix(".ics")


OPS: dict[str, Op] = {
    "healthz": Op(at("/healthz"), kind="public"),
    "readyz": Op(at("/readyz"), kind="public"),
    # ---- clients: staff directory (everyone reads it, only admins change it)
    "createStaff": Op(
        at("/api/v1/staff"),
        lambda w: {"name": "N", "email": f"{uuid.uuid4().hex[:10]}@x.example", "role": "manager"},
        201,
        kind="staff",
        denied=ADMIN_ONLY,
    ),
    "listStaff": listing(
        "/api/v1/staff", lambda s: s.manager, sees=STAFF | {"service", "integration"}
    ),
    "getStaff": Op(at("/api/v1/staff/{n.manager}"), kind="staff"),
    "updateStaff": Op(
        fresh("/api/v1/staff/{id}", lambda w: w.staff()),
        lambda w: {"timezone": "Europe/Paris"},
        kind="staff",
        denied=ADMIN_ONLY,
    ),
    "handoverStaff": Op(
        fresh("/api/v1/staff/{id}/handover", lambda w: w.staff(department="north")),
        lambda w: {"to_manager_id": w.north.manager, "reason": "leaving"},
        kind="staff",
        denied=ADMIN_ONLY - {"own_head"},  # a head hands over a leaver of their department
    ),
    # ---- clients
    "createClient": Op(
        at("/api/v1/clients"),
        lambda w: {"name": f"New {uuid.uuid4().hex[:6]}", "account_manager_id": w.north.manager},
        201,
        denied=FOREIGN,  # a manager assigns a new client to themselves, a head in their team
    ),
    "listClients": listing("/api/v1/clients", lambda s: s.client),
    "getClient": Op(at("/api/v1/clients/{n.client}")),
    "updateClient": Op(at("/api/v1/clients/{n.client}"), lambda w: {"segment": "smb"}),
    "assignClient": Op(
        fresh("/api/v1/clients/{id}/assign", World.client),
        lambda w: {"account_manager_id": w.peer, "reason": "rebalancing"},
        denied=frozenset({"own_manager", "integration"}),  # admins and heads reassign
    ),
    "listClientAssignments": listing("/api/v1/clients/{n.client}/assignments", kind="object"),
    "createContact": Op(at("/api/v1/clients/{n.client}/contacts"), lambda w: {"name": "X"}, 201),
    "listContacts": listing("/api/v1/clients/{n.client}/contacts", kind="object"),
    "listAllContacts": listing("/api/v1/contacts", lambda s: s.contact),
    "getContact": Op(at("/api/v1/contacts/{n.contact}")),
    "updateContact": Op(at("/api/v1/contacts/{n.contact}"), lambda w: {"position": "CFO"}),
    "deleteContact": Op(fresh("/api/v1/contacts/{id}", World.contact), ok=204),
    "portfolioReport": listing("/api/v1/reports/portfolio"),
    # policies: admins, and a head for their own department (403 for another's)
    "getSettings": Op(
        at("/api/v1/settings?department=north"), kind="staff", denied=ADMIN_ONLY - {"own_head"}
    ),
    "putSettings": Op(
        at("/api/v1/settings?department=north"),
        lambda w: {"low_score": {"nps_max": 6}},
        kind="staff",
        denied=ADMIN_ONLY - {"own_head"},
    ),
    "listSettingsHistory": Op(
        at("/api/v1/settings/history?department=north"),
        kind="staff",
        denied=ADMIN_ONLY - {"own_head"},
    ),
    # the audit trail of an entity: within the caller's scope, as the entity itself
    "listAudit": Op(at("/api/v1/audit?entity=client&id={n.client}")),
    # imports: admins, and heads (clients and contacts); an import is its author's
    "createImport": Op(
        at("/api/v1/imports"),
        ok=202,
        kind="staff",
        # admins and heads import; an integration too is refused (403), whatever its scopes
        denied=frozenset(
            {"own_manager", "peer_manager", "other_manager", "service", "integration"}
        ),
        form=import_form,
    ),
    "getImport": Op(
        fresh("/api/v1/imports/{id}", World.import_),
        sees=frozenset({"own_head"}),
        company_sees=False,  # an import is its author's and the admins': an integration's 404
    ),
    # ---- interactions
    "logInteraction": Op(
        at("/api/v1/interactions"),
        lambda w: {
            "client_id": w.north.client,
            "type": "note",
            "direction": "internal",
            "occurred_at": iso(datetime.now(UTC)),
        },
        201,
    ),
    "listInteractions": listing("/api/v1/interactions", lambda s: s.interaction),
    "getInteraction": Op(at("/api/v1/interactions/{n.interaction}")),
    "listInteractionAudit": Op(at("/api/v1/interactions/{n.interaction}/audit")),
    "retractInteraction": Op(
        fresh("/api/v1/interactions/{id}/retract", World.logged), lambda w: {"reason": "typo"}
    ),
    "submitMeetingReport": Op(
        fresh("/api/v1/interactions/{id}/report", World.meeting),
        lambda w: {"summary": "went well"},
        201,
    ),
    "getMeetingReport": Op(at("/api/v1/interactions/{n.meeting}/report")),
    "amendMeetingReport": Op(
        fresh("/api/v1/interactions/{id}/report", World.reported_meeting),
        lambda w: {"summary": "went well", "reason": "typo"},
    ),
    "listRequests": listing("/api/v1/requests", lambda s: s.request),
    "getRequest": Op(at("/api/v1/requests/{n.request}")),
    "listRequestAudit": Op(at("/api/v1/requests/{n.request}/audit")),
    "holdRequest": Op(
        fresh("/api/v1/requests/{id}/hold", World.request), lambda w: {"reason": "waiting"}
    ),
    "closeRequest": Op(
        fresh("/api/v1/requests/{id}/close", World.request),
        lambda w: {"reason": "spam", "code": "spam"},
    ),
    "resumeRequest": Op(
        fresh("/api/v1/requests/{id}/resume", lambda w: w.request(held=True)), lambda w: {}
    ),
    "createTask": Op(at("/api/v1/tasks"), task_body, 201),
    "listTasks": listing("/api/v1/tasks", lambda s: s.task),
    "getTask": Op(at("/api/v1/tasks/{n.task}")),
    "updateTask": Op(fresh("/api/v1/tasks/{id}", World.task), lambda w: {"title": "Call back"}),
    "listTaskDeadlineMoves": listing("/api/v1/tasks/{n.task}/history", kind="object"),
    "listTaskAudit": Op(at("/api/v1/tasks/{n.task}/audit")),
    "scheduleMeeting": Op(at("/api/v1/meetings"), meeting_body, 201),
    "listMeetings": listing("/api/v1/meetings", lambda s: s.planned),
    "getMeeting": Op(at("/api/v1/meetings/{n.planned}")),
    "listMeetingAudit": Op(at("/api/v1/meetings/{n.planned}/audit")),
    "rescheduleMeeting": Op(
        fresh("/api/v1/meetings/{id}/reschedule", World.planned_meeting), reschedule_body
    ),
    "cancelMeeting": Op(
        fresh("/api/v1/meetings/{id}/cancel", World.planned_meeting), lambda w: {"reason": "off"}
    ),
    "markMeetingHeld": Op(
        fresh("/api/v1/meetings/{id}/held", World.planned_meeting), lambda w: {"summary": "ok"}
    ),
    "recordFeedback": Op(
        at("/api/v1/feedback"),
        lambda w: {"client_id": w.north.client, "kind": "nps", "score": 7},
        201,
    ),
    "listFeedback": listing("/api/v1/feedback", lambda s: s.feedback),
    "getFeedback": Op(at("/api/v1/feedback/{n.feedback}")),
    "listFeedbackAudit": Op(at("/api/v1/feedback/{n.feedback}/audit")),
    "withdrawFeedback": Op(
        fresh("/api/v1/feedback/{id}/withdraw", World.feedback), lambda w: {"reason": "typo"}
    ),
    "slaReport": listing("/api/v1/reports/sla"),
    # ---- telephony: call records are signed by the integration (no bearer token: 401 for
    # every caller here, none signs); unmatched calls have no owner, all staff list them
    "receiveCall": Op(at("/api/v1/integrations/calls"), lambda w: call_record(), kind="signed"),
    "receiveTwilioCall": Op(
        at("/api/v1/integrations/calls/twilio"), lambda w: call_record(), kind="signed"
    ),
    "listCalls": listing("/api/v1/integrations/calls?matched=false", denied=SERVICE_ONLY),
    "assignCall": Op(  # no such call: 404 to staff, the service token's 403
        at(f"/api/v1/integrations/calls/{uuid.uuid4()}/assign"),
        lambda w: {"client_id": w.north.client},
        ok=404,
        kind="staff",
        denied=SERVICE_ONLY,
    ),
    "contactCadenceReport": listing("/api/v1/reports/contact-cadence"),
    "feedbackReport": listing("/api/v1/reports/feedback"),
    "activityReport": listing("/api/v1/reports/activity"),
    # ---- billing
    "createContract": Op(at("/api/v1/contracts"), contract_body, 201),
    "listContracts": listing("/api/v1/contracts", lambda s: s.contract),
    "getContract": Op(at("/api/v1/contracts/{n.contract}")),
    "listContractAudit": Op(at("/api/v1/contracts/{n.contract}/audit")),
    "updateContract": Op(at("/api/v1/contracts/{n.contract}"), lambda w: {"title": "Support"}),
    "renewContract": Op(fresh("/api/v1/contracts/{id}/renew", World.contract), lambda w: {}),
    "createInvoice": Op(at("/api/v1/invoices"), invoice_body, 201),
    "listInvoices": listing("/api/v1/invoices", lambda s: s.invoice),
    "getInvoice": Op(at("/api/v1/invoices/{n.invoice}")),
    "listInvoiceAudit": Op(at("/api/v1/invoices/{n.invoice}/audit")),
    "updateInvoice": Op(fresh("/api/v1/invoices/{id}", World.draft), lambda w: {"notes": "n"}),
    "getInvoicePdf": Op(at("/api/v1/invoices/{n.invoice}/pdf")),
    "issueInvoice": Op(fresh("/api/v1/invoices/{id}/issue", World.draft), lambda w: {}),
    "voidInvoice": Op(fresh("/api/v1/invoices/{id}/void", World.issued)),
    "promiseToPay": Op(
        fresh("/api/v1/invoices/{id}/promise", World.issued),
        lambda w: {"promised_on": (datetime.now(UTC) + timedelta(days=10)).date().isoformat()},
    ),
    "createCreditNote": Op(
        fresh("/api/v1/invoices/{id}/credit-notes", World.issued),
        lambda w: {"amount": "1.00", "reason": "discount"},
        201,
    ),
    "listCreditNotes": Op(at("/api/v1/invoices/{n.invoice}/credit-notes")),
    "bookPayment": Op(
        at("/api/v1/payments"),
        lambda w: {
            "client_id": w.north.client,
            "amount": "1.00",
            "currency": "EUR",
            "reference": uuid.uuid4().hex,
        },
        201,
        service=201,
    ),
    "listPayments": listing("/api/v1/payments", lambda s: s.payment),
    "getPayment": Op(at("/api/v1/payments/{n.payment}")),
    "listPaymentAudit": Op(at("/api/v1/payments/{n.payment}/audit")),
    "reversePayment": Op(
        fresh("/api/v1/payments/{id}/reverse", World.payment), lambda w: {"reason": "bounced"}
    ),
    "getClientCredit": Op(at("/api/v1/clients/{n.client}/credit")),
    "getClientBillingDetails": Op(at("/api/v1/clients/{n.client}/billing-details")),
    "putClientBillingDetails": Op(
        at("/api/v1/clients/{n.client}/billing-details"),
        lambda w: {"legal_name": "North LLC", "tax_id": "7701234567"},
    ),
    "getInvoiceAct": Op(at("/api/v1/invoices/{n.invoice}/act.pdf"), ok=409),
    "createEstimate": Op(at("/api/v1/estimates"), estimate_body, 201),
    "listEstimates": listing("/api/v1/estimates", lambda s: s.estimate),
    "getEstimate": Op(at("/api/v1/estimates/{n.estimate}")),
    "listEstimateAudit": Op(at("/api/v1/estimates/{n.estimate}/audit")),
    "approveEstimate": Op(fresh("/api/v1/estimates/{id}/approve", World.estimate)),
    "invoiceEstimate": Op(
        fresh("/api/v1/estimates/{id}/invoice", lambda w: w.estimate(approved=True)), ok=201
    ),
    "updateEstimate": Op(fresh("/api/v1/estimates/{id}", World.estimate), lambda w: {"title": "B"}),
    "rejectEstimate": Op(
        fresh("/api/v1/estimates/{id}/reject", World.estimate), lambda w: {"reason": "no"}
    ),
    "createOpportunity": Op(
        at("/api/v1/opportunities"), lambda w: {"client_id": w.north.client, "title": "More"}, 201
    ),
    "listOpportunities": listing("/api/v1/opportunities", lambda s: s.opportunity),
    "getOpportunity": Op(at("/api/v1/opportunities/{n.opportunity}")),
    "listOpportunityAudit": Op(at("/api/v1/opportunities/{n.opportunity}/audit")),
    "updateOpportunity": Op(
        at("/api/v1/opportunities/{n.opportunity}"), lambda w: {"title": "Upsell"}
    ),
    "agingReport": listing("/api/v1/reports/aging"),
    "revenueReport": listing("/api/v1/reports/revenue"),
    "ltvReport": listing("/api/v1/reports/ltv"),
    "paymentDisciplineReport": listing("/api/v1/reports/payment-discipline"),
    "pipelineReport": listing("/api/v1/reports/pipeline"),
    # ---- notifications: the manager scorecard (a report: each caller their own scope) and
    # the scheduled reports' subscriptions (heads and admins change theirs)
    "scorecardReport": listing("/api/v1/reports/scorecard?period=month"),
    "scorecardSubscriptions": listing("/api/v1/reports/scorecard/subscriptions", kind="staff"),
    "setScorecardSubscriptions": Op(
        at("/api/v1/reports/scorecard/subscriptions"),
        lambda w: {"week": True},
        kind="staff",
        denied=frozenset(
            {"own_manager", "peer_manager", "other_manager", "service", "integration"}
        ),
    ),
    # ---- notifications: one client at a glance (scoped like the client), the calendar feeds
    # (staff make their own; one's feed is revoked by its owner alone; its URL needs no token)
    "clientTimeline": Op(at("/api/v1/clients/{n.client}/timeline")),
    "clientSummary": Op(at("/api/v1/clients/{n.client}/summary")),
    "createCalendarFeed": Op(
        at("/api/v1/calendar/feeds"),
        ok=201,
        kind="staff",
        denied=frozenset({"service", "integration"}),
    ),
    "deleteCalendarFeed": Op(
        fresh("/api/v1/calendar/feeds/{id}", own_feed),
        ok=204,
        sees=frozenset({"own_manager"}),
        admin_sees=False,
    ),
    "getCalendarFeed": Op(fresh("/api/v1/calendar/feeds/{id}.ics", peer_feed_token), kind="public"),
    # documents: scoped through the owner's client (here an invoice, resolved by billing);
    # the signed download link is the credential (any caller, any token or none)
    "uploadFile": Op(
        at("/api/v1/files"),
        ok=201,
        form=invoice_document,
    ),
    "listFiles": listing("/api/v1/files", lambda s: s.file),
    "getFile": Op(at("/api/v1/files/{n.file}")),
    "deleteFile": Op(fresh("/api/v1/files/{id}", World.file), ok=204),
    "downloadFile": Op(fresh("{id}", World.file_link), kind="public"),
    # ---- notifications: search (each caller their own clients' documents)
    "search": Op(
        at("/api/v1/search?q={n.client_name}&types=client,contact,invoice"),
        kind="list",
        listed=lambda s: s.client,
    ),
    # ---- notifications: a feed entry is its recipient's alone (anyone else: 404)
    "listNotifications": listing(
        "/api/v1/notifications",
        lambda s: s.notification,
        sees=frozenset({"own_manager"}),
        admin_sees=False,
    ),
    "markNotificationRead": Op(
        at("/api/v1/notifications/{n.notification}/read"),
        sees=frozenset({"own_manager"}),
        admin_sees=False,
    ),
    "ackNotification": Op(
        at("/api/v1/notifications/{n.notification}/ack"),
        sees=frozenset({"own_manager"}),
        admin_sees=False,
    ),
    # the caller's own count and read-all: every caller answers for their own feed only
    # (that another's entries are neither counted nor marked: tests/integration/notifications)
    "countNotifications": Op(at("/api/v1/notifications/count?unread=true"), kind="staff"),
    "markAllNotificationsRead": Op(at("/api/v1/notifications/read-all"), kind="staff"),
    # the live stream: only its refusals are checked (an accepted stream never ends)
    "streamNotifications": Op(at("/api/v1/notifications/stream"), kind="stream"),
    # a stream ticket: any caller's own (it opens the caller's stream, as the token does)
    "createStreamTicket": Op(at("/api/v1/notifications/stream-tickets"), ok=201, kind="staff"),
    # rules: everyone reads the global ones, admins change them; a department's own: its
    # staff read them, its head (and admins) change them
    "listRules": Op(
        at("/api/v1/rules?department=north"),
        kind="staff",
        denied=frozenset({"other_manager", "other_head", "service"}),
    ),
    "replaceRules": Op(
        at("/api/v1/rules?department=north"),
        rules_body,
        kind="staff",
        denied=ADMIN_ONLY - {"own_head"},
    ),
    # the trail of a department's rules: as the settings (admins, and its own head)
    "listRulesAudit": Op(
        at("/api/v1/rules/audit?department=north"),
        kind="staff",
        denied=ADMIN_ONLY - {"own_head"},
    ),
    # preferences: the caller's own
    "getPreferences": Op(at("/api/v1/preferences"), kind="staff"),
    "replacePreferences": Op(at("/api/v1/preferences"), lambda w: {}, kind="staff"),
    # webhooks and deliveries: admins only
    "createWebhook": Op(at("/api/v1/webhooks"), webhook_body, 201, kind="staff", denied=ADMIN_ONLY),
    "listWebhooks": Op(at("/api/v1/webhooks"), kind="staff", denied=ADMIN_ONLY),
    # the messages read from the mailbox: a manager's clients' and (no owner yet, as unmatched
    # calls) the unmatched ones; the ignored ones the admins' alone
    "listInboundEmails": listing("/api/v1/integrations/emails", denied=SERVICE_ONLY),
    "assignInboundEmail": Op(  # no such message: 404 to staff, the service token's 403
        at(f"/api/v1/integrations/emails/{uuid.uuid4()}/assign"),
        lambda w: {"client_id": w.north.client},
        ok=404,
        kind="staff",
        denied=SERVICE_ONLY,
    ),
    # the inbound email webhook: its URL's secret is the credential, whatever the bearer; the
    # matrix's app has none set (the webhook is off): 404 for every caller
    "receivePostmarkEmail": Op(
        at("/api/v1/integrations/emails/postmark/no-such-secret-0123456789"),
        lambda w: {"MessageID": "m-1", "From": "someone@elsewhere.example"},
        404,
        kind="public",
    ),
    "deleteWebhook": Op(
        fresh("/api/v1/webhooks/{id}", World.webhook), ok=204, kind="staff", denied=ADMIN_ONLY
    ),
    "listWebhookDeliveries": Op(
        fresh("/api/v1/webhooks/{id}/deliveries", World.webhook), kind="staff", denied=ADMIN_ONLY
    ),
    "retryWebhookDelivery": Op(  # no such delivery: the admin's 404, everyone else's 403
        at(f"/api/v1/webhooks/{uuid.uuid4()}/deliveries/{uuid.uuid4()}/retry"),
        ok=404,
        kind="staff",
        denied=ADMIN_ONLY,
    ),
    "listDeliveries": Op(at("/api/v1/deliveries"), kind="staff", denied=ADMIN_ONLY),
}


# Billing refuses a service token everything but booking payments (a bank import).
BILLING = {"/api/v1/contracts", "/api/v1/invoices", "/api/v1/payments", "/api/v1/estimates"}
BILLING_REPORTS = {"aging", "revenue", "ltv", "payment-discipline", "pipeline"}


def _billing(path: str) -> bool:
    parts = path.split("/")
    return (
        "/".join(parts[:4]) in BILLING
        or path.startswith("/api/v1/opportunities")
        or path.endswith(("/credit", "/billing-details"))
        or (path.startswith("/api/v1/reports/") and parts[4] in BILLING_REPORTS)
    )


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """operationId -> (method, path, the scopes its security requirement names)."""
    found: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                scopes = [s for r in operation.get("security", []) for v in r.values() for s in v]
                found[operation["operationId"]] = (method.upper(), path, tuple(scopes))
    return found


# The checked-in document, what integrators read: an operation added to the code without
# `make openapi` fails tests/unit/test_api_docs.py and the test below.
OPERATIONS = _operations(json.loads((ROOT / OPENAPI_FILE).read_text()))
for _id, (_, _path, _scopes) in OPERATIONS.items():
    if _id in OPS and _billing(_path) and OPS[_id].service is None:
        OPS[_id] = dataclasses.replace(OPS[_id], service=403)


def test_the_matrix_document_is_the_code_s() -> None:
    assert _operations(openapi_document()) == OPERATIONS, "run `make openapi`"


def test_every_operation_of_the_openapi_is_in_the_matrix() -> None:
    missing = sorted(set(OPERATIONS) - set(OPS))
    stale = sorted(set(OPS) - set(OPERATIONS))
    assert not missing, f"operations with no fixture in OPS: {missing}"
    assert not stale, f"OPS names operations the OpenAPI no longer has: {stale}"


def expected(op: Op, caller: str) -> int:
    if op.kind == "public":
        return op.ok
    if op.kind == "stream":  # only bad tokens are sent
        return 401
    if op.kind == "signed":  # a bearer token is no signature
        return 401
    if caller in BAD_TOKENS:
        return 401
    if caller == "integration_unscoped":
        return 403
    if caller == "service" and op.service is not None:
        return op.service
    if caller in op.denied:
        return 403
    if caller == "integration" and not op.company_sees:
        return 404
    if caller in ("admin", "integration"):  # the whole company
        return op.ok if op.admin_sees or op.kind == "list" else 404
    if op.kind == "staff":
        return op.ok
    if op.kind == "list":
        return op.ok
    return op.ok if caller in op.sees else 404


def _leaks(w: World, text: str) -> list[str]:
    return [i for i in [*w.north.object_ids(), w.north.client_name] if i in text]


def _lacks_scope(response: httpx.Response, scope: str) -> bool:
    """A 403 problem+json naming the scope an integration lacks."""
    return response.status_code == 403 and f"needs the scope {scope}" in response.json()["detail"]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
async def test_matrix(world: World, operation_id: str) -> None:
    op = OPS[operation_id]
    method, _, scopes = OPERATIONS[operation_id]
    callers = {**world.callers, "integration": integration(world.integration, scopes)}
    wrong: list[str] = []
    for caller in CALLERS:
        if op.kind == "stream" and caller not in BAD_TOKENS:
            continue
        path = await op.path(world)
        sent: dict[str, Any] = {"json": op.body(world)}
        if op.form is not None:
            data, files = op.form(world)
            sent = {"data": data, "files": files}
        response = await world.http.request(method, path, headers=callers[caller], **sent)
        got, want = response.status_code, expected(op, caller)
        cell = f"{caller} {method} {path}"
        if got != want:
            wrong.append(f"{cell}: {got} (want {want}) {response.text[:200]}")
            continue
        unscoped = caller == "integration_unscoped" and op.kind != "public"
        if unscoped and scopes and not _lacks_scope(response, scopes[0]):
            wrong.append(f"{cell}: does not name the scope {scopes[0]}: {response.text}")
        if got >= 400:
            if not response.headers.get("content-type", "").startswith("application/problem+json"):
                wrong.append(f"{cell}: {got} is not problem+json")
            if got == 401 and response.headers.get("www-authenticate") != "Bearer":
                wrong.append(f"{cell}: 401 without WWW-Authenticate: Bearer")
        if (
            caller in FOREIGN | {"integration_unscoped"}
            and op.kind != "staff"
            and not (caller == "service" and op.service)
            and got < 300
            and (leaked := _leaks(world, response.text))
        ):
            wrong.append(f"{cell}: names north's objects {leaked}")
        if op.listed is not None and got == 200:
            shown = op.listed(world.north) in response.text
            should = caller in op.sees or (caller in ("admin", "integration") and op.admin_sees)
            if shown != should:
                wrong.append(f"{cell}: north's object {'' if shown else 'not '}listed")
    assert not wrong, "\n".join(wrong)


def _but_one(scopes: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    return [(s, tuple(t for t in scopes if t != s)) for s in scopes] if len(scopes) > 1 else []


@pytest.mark.parametrize(
    "operation_id", sorted(i for i, (_, _, scopes) in OPERATIONS.items() if _but_one(scopes))
)
async def test_each_documented_scope_is_needed(world: World, operation_id: str) -> None:
    """An operation that shows other services' data (a client's timeline) needs each of
    the scopes it documents: without any one of them, a 403 naming it."""
    op = OPS[operation_id]
    method, _, scopes = OPERATIONS[operation_id]
    for lacking, held in _but_one(scopes):
        response = await world.http.request(
            method,
            await op.path(world),
            headers=integration(world.integration, held),
            json=op.body(world),
        )
        assert _lacks_scope(response, lacking), f"{operation_id} without {lacking}: {response.text}"


# ---------------------------------------------------------------- integrations, by story


async def test_an_integration_logging_interactions_reads_no_invoices(world: World) -> None:
    """A telephony bridge (``interactions:write``) logs a call on any client; the invoices are
    not its business (403 naming ``billing:read``), nor the log it writes to (``:read``)."""
    bridge = integration(world.integration, ["interactions:write"])
    call = {
        "client_id": world.south.client,
        "type": "call",
        "direction": "inbound",
        "occurred_at": iso(datetime.now(UTC)),
    }
    logged = await world.http.post("/api/v1/interactions", headers=bridge, json=call)
    assert logged.status_code == 201, logged.text
    assert logged.json()["client_id"] == world.south.client
    for path in ("/api/v1/invoices", f"/api/v1/invoices/{world.north.invoice}"):
        refused = await world.http.get(path, headers=bridge)
        assert _lacks_scope(refused, "billing:read"), refused.text
    unread = await world.http.get("/api/v1/interactions", headers=bridge)
    assert _lacks_scope(unread, "interactions:read"), unread.text


async def test_an_integration_reading_clients_lists_every_client_and_creates_none(
    world: World,
) -> None:
    """``clients:read``: every department's clients (the whole company), and no new one."""
    reader = integration(world.integration, ["clients:read"])
    listed = await world.http.get("/api/v1/clients?limit=500", headers=reader)
    assert listed.status_code == 200, listed.text
    assert {world.north.client_name, world.south.client_name} <= set(
        c["name"] for c in listed.json()["items"]
    )
    body = {"name": "Not By A Reader", "account_manager_id": world.north.manager}
    refused = await world.http.post("/api/v1/clients", headers=reader, json=body)
    assert _lacks_scope(refused, "clients:write"), refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    names = await world.http.get("/api/v1/clients?limit=500&q=not by a reader", headers=ADMIN)
    assert names.json()["items"] == []


async def test_an_integration_opens_no_stream_beyond_its_scopes(world: World) -> None:
    """The live stream bypasses the common caller dependency: its bearer token needs
    ``notifications:read`` all the same, and a stream ticket (which carries no scopes) opens
    no integration's stream."""
    writer = integration(world.integration, ["notifications:write"])
    ticket = await world.http.post("/api/v1/notifications/stream-tickets", headers=writer)
    assert ticket.status_code == 201, ticket.text
    by_ticket = await world.http.get(
        "/api/v1/notifications/stream", params={"ticket": ticket.json()["ticket"]}
    )
    by_token = await world.http.get("/api/v1/notifications/stream", headers=writer)
    for refused in (by_ticket, by_token):
        assert _lacks_scope(refused, "notifications:read"), refused.text
