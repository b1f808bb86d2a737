"""``orbit demo``: a realistic portfolio in a running Orbit, through its public API only, so a
frontend team sees every screen populated at once.

Heads and managers in two departments (their notification preferences: quiet hours, a
daily digest); clients across tiers, countries and statuses with
contacts (birthdays, some this week); a month of interactions (answered, breached, on hold,
promised) and meetings with and without reports; tasks; NPS and CSAT feedback (some low);
meetings and calls planned for the coming two weeks (one in ten cancelled), so a calendar
has something in it; contracts (some near renewal); invoices current, partly paid, overdue
and paid.

Idempotent: every creating call carries an ``Idempotency-Key`` derived from what it creates
(``orbit-demo:<thing>:<n>``), and every date is counted from the day the demo's first staff
member was created (read back on a second run), so a second run sends the same requests and
gets the first answers back: nothing is added twice. Calls that take no key (holding a
request) answer 409 once done, which the demo takes as done. A planned meeting whose start
has passed by a later run is left out of that run (it was planned by the first).

Standard library only (urllib): it runs wherever ``orbit`` is installed.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.auth import issue_token
from shared.clock import local_date

DEMO_ADMIN = "00000000-0000-4000-8000-00000000de30"
KEY_PREFIX = "orbit-demo"

COUNTRIES = [
    ("DE", "Europe/Berlin"),
    ("FR", "Europe/Paris"),
    ("GB", "Europe/London"),
    ("NL", "Europe/Amsterdam"),
    ("US", "America/New_York"),
    ("RU", "Europe/Moscow"),
    ("ES", "Europe/Madrid"),
]
TIERS = ["key"] * 2 + ["standard"] * 5 + ["small"] * 3
SEGMENTS = ["manufacturing", "retail", "logistics", "software", "finance", "healthcare"]
NAMES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
    "Vandelay",
    "Gringotts",
    "Oscorp",
    "Monarch",
    "Nakatomi",
    "Pied Piper",
    "Dunder",
    "Massive",
    "Blue Sun",
    "Zorg",
    "Ollivander",
    "Virtucon",
]
SUFFIXES = ["GmbH", "SA", "Ltd", "BV", "Inc", "AG", "SL", "LLC"]
PEOPLE = [
    "Anna",
    "Boris",
    "Chloé",
    "Dmitri",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Katya",
    "Lars",
    "Marta",
    "Nils",
    "Olga",
    "Pavel",
    "Quentin",
    "Rosa",
    "Sven",
    "Tanja",
]
SURNAMES = ["Weber", "Ivanova", "Martin", "Smith", "de Vries", "García", "Novak", "Berg"]


class DemoError(Exception):
    """The API refused a demo request in a way the demo cannot continue from."""


@dataclass
class Api:
    """A JSON client of a running Orbit (urllib), as the demo's admin."""

    base_url: str
    token: str
    timeout: float = 30.0
    calls: Counter[str] = field(default_factory=Counter)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        ok: tuple[int, ...] = (200, 201),
        token: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = f"{KEY_PREFIX}:{key}"
        request = urllib.request.Request(
            self.base_url.rstrip("/") + path, data=data, headers=headers, method=method
        )
        self.calls[method] += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        payload = json.loads(raw) if raw else None
        if status not in ok:
            raise DemoError(f"{method} {path} answered {status}: {payload}")
        return status, payload

    def create(self, path: str, body: Any, key: str, **kwargs: Any) -> Any:
        return self.call("POST", path, body, key=key, **kwargs)[1]


@dataclass
class Summary:
    staff: int = 0
    preferences: int = 0
    clients: int = 0
    contacts: int = 0
    interactions: int = 0
    reports: int = 0
    held: int = 0
    tasks: int = 0
    planned: int = 0
    feedback: int = 0
    contracts: int = 0
    invoices: int = 0
    payments: int = 0

    def lines(self) -> list[str]:
        return [f"{name:>12}  {value}" for name, value in vars(self).items()]


def _at(day: date, days_back: int, hour: int, minute: int = 0) -> str:
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return (moment - timedelta(days=days_back)).isoformat()


def pause(api: Api, client: dict[str, Any]) -> Any:
    """The client paused (a second run finds it paused already and changes nothing)."""
    path = f"/api/v1/clients/{client['id']}"
    current = api.call("GET", path)[1]
    if current["status"] == "paused":
        return current
    return api.call("PATCH", path, {"status": "paused"})[1]


Portfolio = list[tuple[int, dict[str, Any], list[dict[str, Any]]]]  # (n, client, contacts)
Log = Callable[[int, dict[str, Any]], Any]


@dataclass
class Run:
    """What every step of one run shares: the API, the day its dates count from, the
    feedback scores' random source, and the summary it adds to."""

    api: Api
    today: date
    rng: random.Random
    summary: Summary


def fill(
    base_url: str,
    jwt_secret: str,
    *,
    clients: int = 50,
    seed: int = 7,
    progress: Callable[[str], None] = lambda _: None,
) -> Summary:
    """Fill the Orbit at ``base_url`` (idempotent); returns what the portfolio holds."""
    api = Api(base_url, issue_token(jwt_secret, DEMO_ADMIN, "admin", 3600))
    rng = random.Random(seed)
    summary = Summary()

    progress("staff")
    heads, managers = create_staff(api)
    summary.staff = len(heads) + len(managers)
    # Every date of the demo counts from the day its first staff member was created.
    today = local_date(datetime.fromisoformat(heads[0]["created_at"]), "UTC")
    run = Run(api, today, rng, summary)

    progress("notification preferences")
    summary.preferences = set_preferences(api, jwt_secret, managers)

    progress(f"{clients} clients with contacts")
    portfolio = create_clients(run, managers, clients)

    progress("a month of interactions, meetings, tasks and feedback")
    for c, client, contacts in portfolio:
        if client["status"] == "prospect" and c % 2:
            continue
        work_with(run, managers[c % len(managers)], c, client, contacts)

    progress("meetings planned for the coming two weeks")
    for c, client, contacts in portfolio:
        if client["status"] == "active":
            manager = managers[c % len(managers)]
            as_manager = issue_token(jwt_secret, manager["id"], "manager", 3600)
            plan_meeting(run, as_manager, c, client, contacts)

    progress("contracts, invoices and payments")
    for c, client, _contacts in portfolio:
        if client["status"] != "prospect":
            bill(run, c, client)
    return summary


# ---------------------------------------------------------------- staff and preferences


def create_staff(api: Api) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two departments, a head and managers each: (heads, managers)."""
    heads = []
    for d, department in enumerate(("Enterprise", "Mid-market")):
        head = api.create(
            "/api/v1/staff",
            {
                "name": f"{PEOPLE[d]} {SURNAMES[d]}",
                "email": f"head{d + 1}@demo.orbit.example",
                "role": "head",
                "department": department,
                "timezone": "Europe/Berlin",
            },
            key=f"staff:head:{d}",
        )
        heads.append(head)
    managers = []
    for m in range(5):
        head = heads[m % 2]
        manager = api.create(
            "/api/v1/staff",
            {
                "name": f"{PEOPLE[m + 2]} {SURNAMES[(m + 2) % len(SURNAMES)]}",
                "email": f"manager{m + 1}@demo.orbit.example",
                "role": "manager",
                "department": head["department"],
                "head_id": head["id"],
                "timezone": COUNTRIES[m % len(COUNTRIES)][1],
                "locale": "ru" if m == 4 else "en",
            },
            key=f"staff:manager:{m}",
        )
        managers.append(manager)
    return heads, managers


def set_preferences(api: Api, jwt_secret: str, managers: list[dict[str, Any]]) -> int:
    """Each manager's notification preferences (quiet hours, a daily digest), set as the
    manager; how many were set."""
    for m, manager in enumerate(managers):
        as_manager = issue_token(jwt_secret, manager["id"], "manager", 3600)
        preferences: dict[str, Any] = {
            "quiet_hours": {"start": "20:00", "end": "08:00"} if m % 2 == 0 else None,
            "digest": {"enabled": True, "at": "08:30"} if m % 3 == 0 else None,
        }

        # Right after the manager was created, as a frontend would (read your writes).
        api.call("PUT", "/api/v1/preferences", preferences, token=as_manager)
    return len(managers)


# ---------------------------------------------------------------- clients and contacts


def create_clients(run: Run, managers: list[dict[str, Any]], count: int) -> Portfolio:
    """``count`` clients across tiers, countries and statuses, with their contacts."""
    portfolio: Portfolio = []
    for c in range(count):
        status = "prospect" if c % 12 == 5 else ("paused" if c % 17 == 9 else "active")
        # A client is created as a prospect or active; pausing is a step of its lifecycle.
        client = create_client(run.api, c, "active" if status == "paused" else status, managers)
        contacts = [create_contact(run, c, k, client["id"]) for k in range(2 if c % 3 else 3)]
        if status == "paused":
            client = pause(run.api, client)
        run.summary.contacts += len(contacts)
        portfolio.append((c, client, contacts))
    run.summary.clients = len(portfolio)
    return portfolio


def create_client(api: Api, c: int, status: str, managers: list[dict[str, Any]]) -> Any:
    country, timezone = COUNTRIES[c % len(COUNTRIES)]
    tier = TIERS[c % len(TIERS)]
    name = f"{NAMES[c % len(NAMES)]} {SUFFIXES[c % len(SUFFIXES)]}"
    if c >= len(NAMES):
        name += f" {c // len(NAMES) + 1}"
    return api.create(
        "/api/v1/clients",
        {
            "name": name,
            "kind": "b2c" if c % 10 == 7 else "b2b",
            "tier": tier,
            "status": status,
            "account_manager_id": managers[c % len(managers)]["id"],
            "segment": SEGMENTS[c % len(SEGMENTS)],
            "tags": sorted({SEGMENTS[c % len(SEGMENTS)], tier, country.lower()}),
            "country": country,
            "timezone": timezone,
            # A relaxed response target on some (their requests on hold are still open).
            "sla": {"first_response_minutes": 43200} if c % 4 == 1 else None,
        },
        key=f"client:{c}",
    )


def create_contact(run: Run, c: int, k: int, client_id: str) -> Any:
    first, last = PEOPLE[(c + k * 7) % len(PEOPLE)], SURNAMES[(c + k) % len(SURNAMES)]
    # Some birthdays this week, the rest spread over the year.
    this_week = k == 0 and c % 5 == 0
    birthday = (
        run.today + timedelta(days=(c % 6) + 1)
        if this_week
        else (date(1970 + (c * 3 + k) % 30, 1 + (c + k) % 12, 1 + (c * 7 + k) % 28))
    )
    return run.api.create(
        f"/api/v1/clients/{client_id}/contacts",
        {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{c}.{k}@client{c}.example".replace("é", "e"),
            "phone": f"+4930{1000000 + c * 10 + k}",
            "position": ["CEO", "CFO", "CTO", "Head of Purchasing"][k % 4],
            "roles": [["decision_maker"], ["billing"], ["technical"]][k % 3],
            "birthday": f"--{birthday.month:02d}-{birthday.day:02d}"
            if this_week
            else birthday.isoformat(),
            "preferred_channel": ["email", "phone", "messenger"][k % 3],
        },
        key=f"contact:{c}:{k}",
    )


# ---------------------------------------------------------------- interactions


def work_with(
    run: Run,
    manager: dict[str, Any],
    c: int,
    client: dict[str, Any],
    contacts: list[dict[str, Any]],
) -> None:
    """A month with one client: requests, a meeting (with or without its report), a task,
    feedback."""
    api, today, summary = run.api, run.today, run.summary
    log = interaction_log(api, client["id"], c)
    log_requests(run, log, c, client["id"], [contacts[0]["id"]])
    meeting = hold_meeting(run, log, c, contacts)
    # Tasks, one overdue now and then.
    api.create(
        "/api/v1/tasks",
        {
            "client_id": client["id"],
            "title": "Prepare the renewal proposal",
            "due_at": _at(today, -7 if c % 5 else 2, 17),
            "assignee_id": manager["id"],
            "interaction_id": meeting["id"],
        },
        key=f"task:{c}",
    )
    summary.tasks += 1
    # Feedback: NPS and CSAT, some low.
    api.create(
        "/api/v1/feedback",
        {
            "client_id": client["id"],
            "kind": "nps" if c % 2 else "csat",
            "score": (run.rng.choice([9, 10, 8, 6, 3]) if c % 2 else run.rng.choice([5, 4, 2])),
            "comment": "Demo feedback",
            "contact_id": contacts[0]["id"],
            "received_at": _at(today, 5 + c % 10, 12),
        },
        key=f"feedback:{c}",
    )
    summary.feedback += 1


def interaction_log(api: Api, client_id: str, c: int) -> Log:
    """Logs the client's interaction number ``n``."""

    def log(n: int, body: dict[str, Any]) -> Any:
        return api.create(
            "/api/v1/interactions", {"client_id": client_id, **body}, key=f"ia:{c}:{n}"
        )

    return log


def log_requests(run: Run, log: Log, c: int, client_id: str, contact_ids: list[str]) -> None:
    """An outbound call and an email thread answered on time; then, by client, an unanswered
    request (breached by the SLA scan), one on hold, or one answered with a promise."""
    today, summary = run.today, run.summary
    log(
        0,
        {
            "type": "call",
            "direction": "outbound",
            "occurred_at": _at(today, 28 - c % 5, 10),
            "subject": "Quarterly check-in",
            "contact_ids": contact_ids,
        },
    )
    asked = log(
        1,
        {
            "type": "email",
            "direction": "inbound",
            "occurred_at": _at(today, 20 - c % 4, 9),
            "subject": "Question about the invoice",
            "requires_response": True,
            "contact_ids": contact_ids,
        },
    )
    log(
        2,
        {
            "type": "email",
            "direction": "outbound",
            "occurred_at": _at(today, 20 - c % 4, 11),
            "subject": "Re: Question about the invoice",
            "responds_to": asked["id"],
            "contact_ids": contact_ids,
        },
    )
    summary.interactions += 3
    if c % 4 == 0:  # an unanswered request: breached by the SLA scan
        log(
            3,
            {
                "type": "email",
                "direction": "inbound",
                "occurred_at": _at(today, 3, 9),
                "subject": "Urgent: delivery delayed",
                "requires_response": True,
                "contact_ids": contact_ids,
            },
        )
        summary.interactions += 1
    if c % 4 == 1:  # a request on hold, waiting for the client
        waiting = log(
            4,
            {
                "type": "message",
                "direction": "inbound",
                "occurred_at": _at(today, 2, 14),
                "subject": "Please change our billing address",
                "requires_response": True,
                "contact_ids": contact_ids,
            },
        )
        summary.interactions += 1
        summary.held += hold_request(run.api, client_id, waiting["id"])
    if c % 4 == 2:  # answered with a promise for the full answer
        asked = log(
            5,
            {
                "type": "call",
                "direction": "inbound",
                "occurred_at": _at(today, 1, 10),
                "subject": "Pricing for next year",
                "requires_response": True,
                "contact_ids": contact_ids,
            },
        )
        log(
            6,
            {
                "type": "email",
                "direction": "outbound",
                "occurred_at": _at(today, 1, 11),
                "subject": "Re: Pricing for next year",
                "responds_to": asked["id"],
                "promise_by": _at(today, -3, 12),
                "contact_ids": contact_ids,
            },
        )
        summary.interactions += 2


def hold_request(api: Api, client_id: str, interaction_id: str) -> int:
    """The request the interaction opened, put on hold; how many were (a second run: 409)."""
    held = 0
    _, requests = api.call("GET", f"/api/v1/requests?client_id={client_id}")
    for request in requests["items"]:
        if request["interaction_id"] == interaction_id:
            api.call(
                "POST",
                f"/api/v1/requests/{request['id']}/hold",
                {"reason": "Waiting for the client's new registration documents"},
                ok=(200, 201, 409),
            )
            held += 1
    return held


def hold_meeting(run: Run, log: Log, c: int, contacts: list[dict[str, Any]]) -> Any:
    """A meeting with every contact, with its report on two clients in three."""
    meeting = log(
        7,
        {
            "type": "meeting",
            "direction": "outbound",
            "occurred_at": _at(run.today, 7 + c % 9, 15),
            "subject": "Steering committee",
            "contact_ids": [x["id"] for x in contacts],
        },
    )
    run.summary.interactions += 1
    if c % 3 != 0:
        run.api.create(
            f"/api/v1/interactions/{meeting['id']}/report",
            {
                "summary": "Reviewed the roadmap and the open tickets.",
                "decisions": ["Go ahead with phase 2"],
                "next_steps": ["Send the proposal"],
            },
            key=f"report:{c}",
        )
        run.summary.reports += 1
    return meeting


def plan_meeting(
    run: Run, as_manager: str, c: int, client: dict[str, Any], contacts: list[dict[str, Any]]
) -> None:
    """A meeting (a call for one client in three) planned by the client's manager within
    the coming two weeks, in working hours, with the first contact; one in ten cancelled."""
    starts = datetime.fromisoformat(_at(run.today, -(1 + c % 14), 8 + c % 8, 30 * (c % 2)))
    if starts <= datetime.now(UTC):
        return  # a later run: planned by the first one, and past by now
    call = c % 3 == 0
    meeting = run.api.create(
        "/api/v1/meetings",
        {
            "client_id": client["id"],
            "kind": "call" if call else "meeting",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=30 if call else 60)).isoformat(),
            "subject": "Quarterly check-in" if c % 2 else "Roadmap review",
            "agenda": "Open tickets; the renewal; next quarter's plans",
            "location": f"https://meet.demo.orbit.example/{c}"
            if call
            else "At the client's office",
            "contact_ids": [contacts[0]["id"]],
        },
        key=f"meeting:{c}",
        token=as_manager,
    )
    run.summary.planned += 1
    if c % 10 == 7:
        run.api.call(
            "POST",
            f"/api/v1/meetings/{meeting['id']}/cancel",
            {"reason": "The client asked to skip this quarter"},
            key=f"meeting-cancel:{c}",
            ok=(200, 409),
            token=as_manager,
        )


# ---------------------------------------------------------------- billing


def bill(run: Run, c: int, client: dict[str, Any]) -> None:
    """A contract (some near renewal) and two invoices: current (due later), overdue (due 20
    days ago), paid, and partly paid."""
    api, today, summary = run.api, run.today, run.summary
    ends = today + timedelta(days=20 if c % 4 == 0 else 200 + c)  # some near renewal
    contract_body = {
        "client_id": client["id"],
        "number": f"DEMO-{c + 1:03d}",
        "title": "Support and development",
        "starts_on": (ends - timedelta(days=365)).isoformat(),
        "ends_on": ends.isoformat(),
        "auto_renew": c % 3 == 0,
        "renewal_notice_days": 30,
        "payment_terms_days": 30,
        "value": {"amount": f"{12000 + c * 500}.00", "currency": "EUR"},
        "budget": {"amount": f"{12000 + c * 500}.00", "currency": "EUR"},
    }

    contract = api.create("/api/v1/contracts", contract_body, key=f"contract:{c}")
    summary.contracts += 1
    plan = [(0, 30), (40, -20)] if c % 2 else [(10, 20), (50, -10)]
    for i, terms in enumerate(plan):
        invoice, issued = issue_invoice(run, c, i, client["id"], contract["id"], terms)
        summary.invoices += 1
        # The overdue one paid in full now and then, the current one paid in part.
        if (i == 1 and c % 3 == 0) or (i == 0 and c % 3 == 1):
            total = str(issued["total"])
            amount = total if i == 1 else f"{Decimal(total) / 2:.2f}"
            api.create(
                "/api/v1/payments",
                {
                    "client_id": client["id"],
                    "amount": amount,
                    "currency": "EUR",
                    "received_at": _at(today, 2, 10),
                    "method": "bank_transfer",
                    "reference": f"DEMO-PAY-{c}-{i}",
                    "allocations": [{"invoice_id": invoice["id"], "amount": amount}],
                },
                key=f"payment:{c}:{i}",
            )
            summary.payments += 1


def issue_invoice(
    run: Run, c: int, i: int, client_id: str, contract_id: str, terms: tuple[int, int]
) -> tuple[Any, Any]:
    """The client's invoice ``i`` under the contract, created and issued ``terms`` (days ago,
    due in days): (the draft, the issued invoice)."""
    issued_days_ago, due_in = terms
    invoice = run.api.create(
        "/api/v1/invoices",
        {
            "client_id": client_id,
            "contract_id": contract_id,
            "currency": "EUR",
            "lines": [
                {
                    "description": "Monthly support",
                    "quantity": "1",
                    "unit_price": f"{1000 + c * 10}.00",
                    "tax_rate": "0.19",
                },
                {
                    "description": "Development hours",
                    "quantity": str(4 + c % 6),
                    "unit_price": "95.00",
                    "tax_rate": "0.19",
                },
            ],
        },
        key=f"invoice:{c}:{i}",
    )
    issued = run.api.create(
        f"/api/v1/invoices/{invoice['id']}/issue",
        {
            "issue_date": (run.today - timedelta(days=issued_days_ago)).isoformat(),
            "due_date": (run.today + timedelta(days=due_in)).isoformat(),
        },
        key=f"issue:{c}:{i}",
    )
    return invoice, issued
