"""Attacks on the API, each refused or neutralised (issue 14, point 9), against the embedded
app (every service, SQLite, the in-process bus, its real workers) with a real SMTP server
(aiosmtpd) and real HTTP receivers on loopback:

- an oversized body (``Content-Length`` or chunked): 413 problem+json, nothing written;
- deeply nested JSON: 422 problem+json, never a 500 or a recursion error;
- a huge ``?limit=``: 422 naming ``query.limit`` (the contract's max is 500);
- CR/LF in a staff or client name, a contact name, a meeting subject or its minutes: the
  emails that carry them are not split (no injected header, no extra recipient, no
  smuggled SMTP command);
- webhook SSRF in every form of the contract: refused at subscription (422 naming
  ``body.url``) and again at delivery (a DNS answer changed since), redirects not followed;
- invoice PDFs with hostile text (long words, RTL and emoji, template syntax, 500 lines,
  a thousand lines of notes): a PDF, or a 422 for what the API refuses (control
  characters), never a 500.

The webhook receivers listen on 127.0.0.2, the one network the app lets webhooks reach
(``ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.2/32``): 127.0.0.1 stays refused, so a
redirect or a DNS answer pointing at it is an SSRF attempt the tests can watch fail.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.clients.app import SPEC as CLIENTS
from services.embedded import embedded_app
from shared.app import build_app
from tests.support.apps import ADMIN, running, test_settings
from tests.support.net import free_port
from tests.support.receiver import Receiver
from tests.support.smtp import SmtpServer, parts
from tests.support.waiting import eventually

MIB = 1_048_576
JSON = {**ADMIN, "Content-Type": "application/json"}
CREATED = "orbit.clients.client.created.v1"
ALLOWED_HOST = "127.0.0.2"  # ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS: the receivers live here


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


class FakeDns:
    """Answers for names under ``.rebind.test`` (what a hostile DNS server would say), every
    other name resolved by the real resolver. Installed on the running event loop, where the
    webhook code resolves (``loop.getaddrinfo``)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}

    @contextmanager
    def install(self, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        real = loop.getaddrinfo

        async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name.endswith(".rebind.test"):
                if name not in self.answers:
                    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
                return [
                    (
                        socket.AF_INET6 if ":" in a else socket.AF_INET,
                        socket.SOCK_STREAM,
                        6,
                        "",
                        (a, int(port), 0, 0) if ":" in a else (a, int(port)),
                    )
                    for a in self.answers[name]
                ]
            return await real(host, port, *args, **kwargs)

        loop.getaddrinfo = getaddrinfo  # type: ignore[method-assign]
        try:
            yield
        finally:
            del loop.getaddrinfo  # back to the class's own


class Orbit:
    def __init__(self, http: httpx.AsyncClient, smtp: SmtpServer, dns: FakeDns) -> None:
        self.http = http
        self.smtp = smtp
        self.dns = dns

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(path, headers=ADMIN, json=body)
        assert response.status_code == 201, f"{path}: {response.text}"
        return dict(response.json())

    async def manager(self, name: str, email: str) -> str:
        staff = await self.create(
            "/api/v1/staff", {"name": name, "email": email, "role": "manager"}
        )
        return str(staff["id"])

    async def client(self, name: str, manager: str) -> str:
        """A client billing knows (its event reached billing)."""
        body = {"name": name, "account_manager_id": manager}
        client = str((await self.create("/api/v1/clients", body))["id"])

        async def known() -> bool:
            credit = await self.http.get(f"/api/v1/clients/{client}/credit", headers=ADMIN)
            return credit.status_code == 200

        await eventually(known, timeout=30, what="the client in billing")
        return client

    async def subscribe(self, url: str) -> str:
        return str(
            (await self.create("/api/v1/webhooks", {"url": url, "event_types": [CREATED]}))["id"]
        )

    async def unsubscribe(self, webhook: str) -> None:
        response = await self.http.delete(f"/api/v1/webhooks/{webhook}", headers=ADMIN)
        assert response.status_code == 204, response.text

    async def deliveries(self, webhook: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/api/v1/webhooks/{webhook}/deliveries", headers=ADMIN)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def attempted(self, webhook: str) -> dict[str, Any]:
        """The webhook's one delivery, once it was attempted."""

        async def tried() -> dict[str, Any] | None:
            items = await self.deliveries(webhook)
            return items[0] if items and items[0]["history"] else None

        return await eventually(tried, timeout=30, what=f"a delivery attempt of {webhook}")


@pytest.fixture(scope="module")
async def orbit(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Orbit]:
    smtp = SmtpServer(free_port())
    smtp.start()
    dns = FakeDns()
    with pytest.MonkeyPatch.context() as env:
        # The notifications service reads its own knobs from the environment, once, here.
        env.setenv("ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS", f"{ALLOWED_HOST}/32")
        env.setenv("ORBIT_NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK", "false")
        env.setenv("ORBIT_NOTIFICATIONS_DELIVERY_POLL_SECONDS", "0.1")
        app = embedded_app(
            test_settings(
                data_dir=str(tmp_path_factory.mktemp("attacks")),
                smtp_url=f"smtp://127.0.0.1:{smtp.port}",
            )
        )
    try:
        async with running(app) as http:
            with dns.install(asyncio.get_running_loop()):
                yield Orbit(http, smtp, dns)
    finally:
        smtp.stop()


# ---------------------------------------------------------------- oversized bodies


async def test_an_oversized_body_is_a_413_before_anything_is_written(orbit: Orbit) -> None:
    http = orbit.http
    before = (await http.get("/api/v1/staff?limit=500", headers=ADMIN)).json()["items"]
    filler = "x" * (MIB + 1)
    staff = f'{{"name": "{filler}", "email": "big@example.com", "role": "manager"}}'
    for method, path in [
        ("POST", "/api/v1/staff"),
        ("PUT", "/api/v1/rules"),
        ("PATCH", f"/api/v1/clients/{uuid.uuid4()}"),
        ("GET", "/api/v1/clients"),  # a body where none is expected is refused as well
    ]:
        response = await http.request(method, path, headers=JSON, content=staff)
        body = assert_problem(response, 413)
        assert body["type"].endswith("/content-too-large")
        assert str(MIB) in body["detail"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"name": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'", "email": "chunked@example.com", "role": "manager"}'

    response = await http.post("/api/v1/staff", headers=JSON, content=chunks())
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)

    # Just under the limit: read and validated like any body (the name is too long: 422).
    near = staff.replace(filler, "x" * (MIB - len(staff) + len(filler) - 1))
    assert len(near) < MIB
    assert_problem(await http.post("/api/v1/staff", headers=JSON, content=near), 422)

    after = (await http.get("/api/v1/staff?limit=500", headers=ADMIN)).json()["items"]
    assert after == before


async def test_the_body_limit_is_configurable(tmp_path_factory: pytest.TempPathFactory) -> None:
    """ORBIT_MAX_BODY_BYTES: a clients service that takes 2 KiB refuses 2049 bytes, with and
    without Content-Length (the refusal comes before the service needs its database)."""
    settings = test_settings(data_dir=str(tmp_path_factory.mktemp("limit")), max_body_bytes=2048)
    app = build_app([CLIENTS], settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://orbit.test") as http:
        content = b'{"name": "' + b"z" * 2040 + b'"}'
        assert len(content) > 2048
        body = assert_problem(
            await http.post("/api/v1/clients", headers=JSON, content=content), 413
        )
        assert "2048 bytes" in body["detail"]

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(content), 500):
                yield content[start : start + 500]

        assert_problem(await http.post("/api/v1/clients", headers=JSON, content=chunks()), 413)


# ---------------------------------------------------------------- deeply nested JSON


# Up to ~1000 levels the JSON parser reads the body and the validation walks it (a walk by
# recursion failed there, a 500); deeper, the parser itself gives up (FastAPI's 400, made 422).
@pytest.mark.parametrize("depth", [64, *range(900, 1001, 20), 5_000, 100_000])
async def test_deeply_nested_json_is_a_422(orbit: Orbit, depth: int) -> None:
    http = orbit.http
    arrays = "[" * depth + "]" * depth
    objects = '{"a":' * depth + "1" + "}" * depth
    with_a_bell = '["x",' * depth + '"\\u0007"' + "]" * depth  # a control character deep down
    for nested in (arrays, objects, with_a_bell):
        for method, path, body in [
            ("POST", "/api/v1/clients", f'{{"name": "Deep", "sla": {nested}}}'),
            ("PUT", "/api/v1/rules", nested),
            ("POST", "/api/v1/interactions", f'{{"client_id": {nested}}}'),
            ("PUT", "/api/v1/preferences", f'{{"channels": {nested}}}'),
        ]:
            response = await http.request(method, path, headers=JSON, content=body)
            problem = assert_problem(response, 422)
            assert problem["errors"], problem
    assert (await http.get("/healthz")).status_code == 200


# ---------------------------------------------------------------- huge limits


async def test_a_limit_beyond_the_contract_is_a_422(orbit: Orbit) -> None:
    http = orbit.http
    lists = ["/api/v1/clients", "/api/v1/interactions", "/api/v1/invoices", "/api/v1/webhooks"]
    for path in lists:
        for limit in ["501", "2147483648", str(10**40), "-1", "0", "1e9", "NaN", "500.5"]:
            response = await http.get(path, headers=ADMIN, params={"limit": limit})
            problem = assert_problem(response, 422)
            assert ["query", "limit"] in [e["loc"] for e in problem["errors"]], (path, limit)
        assert (await http.get(path, headers=ADMIN, params={"limit": 500})).status_code == 200


# ---------------------------------------------------------------- header injection in emails

INJECTED = re.compile(rb"^(bcc|cc|x-injected|to|subject|mail from|rcpt to)\s*:", re.I | re.M)


async def test_cr_lf_in_names_and_subjects_does_not_split_email_headers(orbit: Orbit) -> None:
    http, inbox = orbit.http, orbit.smtp.inbox
    seen = len(inbox.received)
    mia = await orbit.manager("Mia\r\nBcc: staff-bcc@evil.example", "mia@orbit.example")
    client = await orbit.client("Acme\r\nBcc: client-bcc@evil.example\r\nX-Injected: yes", mia)
    olga = (
        await orbit.create(
            f"/api/v1/clients/{client}/contacts",
            {"name": "Olga\r\nBcc: contact-bcc@evil.example", "email": "olga@acme.example"},
        )
    )["id"]

    meeting_body = {
        "client_id": client,
        "type": "meeting",
        "direction": "outbound",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "subject": "Review\r\nBcc: meeting-bcc@evil.example\r\n\r\nInjected body",
        "contact_ids": [olga],
    }

    async def logged() -> str | None:  # once interactions took the contact's event
        response = await http.post("/api/v1/interactions", headers=ADMIN, json=meeting_body)
        return str(response.json()["id"]) if response.status_code == 201 else None

    meeting = await eventually(logged, timeout=30, what="the contact in interactions")
    # An SMTP smuggling attempt in the minutes' text: a lone dot line, then commands.
    smuggle = (
        "Fine.\r\n.\r\nMAIL FROM:<x@evil.example>\r\nRCPT TO:<smuggled@evil.example>\r\n"
        "DATA\r\nSubject: smuggled\r\n\r\nhi\r\n.\r\n"
    )
    await orbit.create(f"/api/v1/interactions/{meeting}/report", {"summary": smuggle})
    # A low score: the manager's alert email names the client.
    await orbit.create("/api/v1/feedback", {"client_id": client, "kind": "nps", "score": 1})

    async def both() -> bool:
        return len(inbox.received) >= seen + 2

    await eventually(both, timeout=30, what="the minutes and the alert email")
    received = inbox.received[seen:]
    assert len(received) == 2, [r.rcpt_tos for r in received]  # nothing smuggled in
    by_to = {r.rcpt_tos: r for r in received}
    assert set(by_to) == {("mia@orbit.example",), ("olga@acme.example",)}
    for r in received:
        header_block = r.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        names = [k.lower() for k in r.message]
        assert "bcc" not in names and "x-injected" not in names, names
        assert names.count("to") == 1 and names.count("subject") == 1, names
        assert str(r.message["To"]) == r.rcpt_tos[0]
        subject = str(r.message["Subject"])
        assert "\r" not in subject and "\n" not in subject
        # no header line was made of the names: each evil text sits inside one header value
        lines = [
            line for line in re.split(rb"\r?\n(?![ \t])", header_block) if INJECTED.match(line)
        ]
        assert all(not line.lower().startswith(b"bcc") for line in lines), lines
        assert [line.split(b":")[0].lower() for line in lines].count(b"to") == 1, lines
        assert b"smuggled@evil.example" not in b"".join(lines)
    minutes = by_to[("olga@acme.example",)].message
    assert "Review Bcc: meeting-bcc@evil.example Injected body" in str(minutes["Subject"])
    # the smuggling text is the minutes' text, no command: it reached the body, dot included
    assert "RCPT TO:<smuggled@evil.example>" in parts(minutes)["text/plain"]
    alert = by_to[("mia@orbit.example",)].message
    assert "Acme Bcc: client-bcc@evil.example X-Injected: yes" in str(alert["Subject"])


# ---------------------------------------------------------------- webhook SSRF

REFUSED_URLS = [
    # loopback, however spelled
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",  # decimal
    "http://017700000001/",  # octal
    "http://0177.0.0.1/",
    "http://0x7f000001/",  # hex
    "http://0x7f.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/",
    "http://localhost/",  # a name resolving to loopback (/etc/hosts)
    "http://LOCALHOST./",
    "http://127.0.0.1:8000/api/v1/staff",  # another port of the same host
    "http://127.0.0.1:22/",
    # private, shared, link-local and the metadata address
    "http://10.0.0.8/hook",
    "http://172.16.5.4/",
    "http://192.168.1.1:8443/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://2852039166/",  # 169.254.169.254 in decimal
    "http://0xa9fea9fe/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a00:8]/",  # NAT64 of 10.0.0.8
    # multicast, reserved, unspecified, broadcast
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    # names resolving to private addresses (the fake DNS below) or to nothing
    "http://private.rebind.test/",
    "http://mixed.rebind.test/",
    "http://mapped.rebind.test/",
    "http://nothing.rebind.test/",
    "http://no-such-host.invalid/",
    # not http(s), credentials, malformed
    "ftp://93.184.216.34/",
    "file:///etc/passwd",
    "gopher://93.184.216.34:70/_hello",
    "dict://93.184.216.34:11211/stat",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "//93.184.216.34/",
    "http:///path-only",
    "http://user:pw@93.184.216.34/",
    "http://93.184.216.34@127.0.0.1/",
    "http://93.184.216.34:99999/",
    "http://93.184.216.34:-1/",
    "http://[::1/",
    "https://93.184.216.34/" + "a" * 2100,
]


async def test_ssrf_is_refused_at_subscription(orbit: Orbit) -> None:
    orbit.dns.answers |= {
        "private.rebind.test": ["10.1.2.3"],
        "mixed.rebind.test": ["93.184.216.34", "192.168.0.7"],  # one bad answer is enough
        "mapped.rebind.test": ["::ffff:169.254.169.254"],
        "nothing.rebind.test": [],
    }
    accepted: list[str] = []
    for url in REFUSED_URLS:
        response = await orbit.http.post(
            "/api/v1/webhooks", headers=ADMIN, json={"url": url, "event_types": [CREATED]}
        )
        if response.status_code == 201:
            accepted.append(url)
            await orbit.unsubscribe(response.json()["id"])
            continue
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "url"], (url, problem)
    assert not accepted, f"webhook URLs accepted: {accepted}"
    # what is allowed still is: a public address, and the allowed network (any port of it)
    for url in ["https://93.184.216.34/orbit", f"http://{ALLOWED_HOST}:8080/hook"]:
        await orbit.unsubscribe(await orbit.subscribe(url))


async def test_ssrf_is_refused_again_at_delivery_when_dns_changes(orbit: Orbit) -> None:
    """Names that resolved to the allowed receiver at subscription answer otherwise at
    delivery (DNS rebinding): each delivery is refused before connecting; the name that
    still answers the receiver's address is delivered, once, to that address."""
    receiver = Receiver(host=ALLOWED_HOST)
    await receiver.start()
    names = {
        "loopback.rebind.test": ["127.0.0.1"],
        "private.later.rebind.test": [ALLOWED_HOST, "10.1.2.3"],
        "metadata.rebind.test": ["::ffff:169.254.169.254"],
        "shared.rebind.test": ["100.64.0.1"],
        "gone.rebind.test": [],
    }
    hooks: dict[str, str] = {}
    try:
        for name in [*names, "stable.rebind.test"]:
            orbit.dns.answers[name] = [ALLOWED_HOST]
            hooks[name] = await orbit.subscribe(f"http://{name}:{receiver.port}/hook")
        orbit.dns.answers |= names
        manager = await orbit.manager("Rebind", f"rebind.{uuid.uuid4().hex[:6]}@orbit.example")
        await orbit.create("/api/v1/clients", {"name": "Rebind", "account_manager_id": manager})
        for name, webhook in hooks.items():
            delivery = await orbit.attempted(webhook)
            error = delivery["history"][0]["error"] or ""
            if name == "stable.rebind.test":
                assert delivery["status"] == "sent", delivery
                continue
            assert delivery["status"] == "pending", (name, delivery)  # retried later
            assert (
                "refused destination" in error
                or "does not resolve" in error
                or ("no address" in error)
            ), (name, error)
        assert len(receiver.requests) == 1
        request_line, headers, _ = receiver.requests[0]
        assert headers["host"] == f"stable.rebind.test:{receiver.port}"
        assert request_line.startswith("POST /hook ")
    finally:
        for webhook in hooks.values():
            await orbit.unsubscribe(webhook)
        await receiver.stop()


async def test_redirects_to_internal_addresses_are_not_followed(orbit: Orbit) -> None:
    trap = Receiver(host="127.0.0.1")  # what a followed redirect would reach
    await trap.start()
    to_loopback = Receiver(
        host=ALLOWED_HOST, statuses=[302], redirect_to=f"http://127.0.0.1:{trap.port}/"
    )
    to_metadata = Receiver(
        host=ALLOWED_HOST, statuses=[302], redirect_to="http://169.254.169.254/latest/meta-data/"
    )
    hooks: list[str] = []
    try:
        for receiver in (to_loopback, to_metadata):
            await receiver.start()
            hooks.append(await orbit.subscribe(f"http://{ALLOWED_HOST}:{receiver.port}/hook"))
        manager = await orbit.manager("Redirect", f"redir.{uuid.uuid4().hex[:6]}@orbit.example")
        await orbit.create("/api/v1/clients", {"name": "Redirect", "account_manager_id": manager})
        for webhook in hooks:
            delivery = await orbit.attempted(webhook)
            assert delivery["status"] == "pending", delivery  # a 3xx is a failure, retried
            assert delivery["history"][0]["response_code"] == 302
        assert len(to_loopback.requests) == 1 and len(to_metadata.requests) == 1
        assert trap.requests == []
    finally:
        for webhook in hooks:
            await orbit.unsubscribe(webhook)
        for receiver in (trap, to_loopback, to_metadata):
            await receiver.stop()


# ---------------------------------------------------------------- invoice PDF with hostile text

HOSTILE_LINES: dict[str, list[str]] = {
    "a word of 1000 letters": ["W" * 1000],
    "right-to-left and emoji": [
        "שלום עולם مرحبا بالعالم \u202eevil\u202c "
        "\U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467"
    ],
    "templates and markup": [
        "{{ 7*7 }} {% include '/etc/passwd' %} ${jndi:ldap://x/a} %s%n%x <script>x</script> "
        "\\) Tj ET BT /F1 12 Tf (pdf operators) Tj"
    ],
    "CJK, combining marks, zero widths": ["漢字かなカナ한국어" * 40, "Z\u0336\u0321" * 300],
    "500 lines": [f"line {i} Ж " + "W" * 985 for i in range(500)],
    "line breaks in a cell": ["a\r\nb\nc\r" * 100],
}


@pytest.fixture(scope="module")
async def hostile_client(orbit: Orbit) -> str:
    manager = await orbit.manager("Pdf", f"pdf.{uuid.uuid4().hex[:6]}@orbit.example")
    name = "\u202eAcme {{7*7}} %s \U0001f4a9 شركة " + "N" * 250
    return await orbit.client(name, manager)


@pytest.mark.parametrize("case", sorted(HOSTILE_LINES))
async def test_invoice_pdf_with_hostile_text_renders(
    orbit: Orbit, hostile_client: str, case: str
) -> None:
    lines = [
        {"description": text, "quantity": "1", "unit_price": "10.00"}
        for text in HOSTILE_LINES[case]
    ]
    # a thousand lines of notes (the most 2000 characters hold), or template syntax
    notes = "x\n" * 999 + "x" if case == "500 lines" else "{{x}} %s\n" * 200
    invoice = await orbit.create(
        "/api/v1/invoices",
        {"client_id": hostile_client, "currency": "EUR", "lines": lines, "notes": notes},
    )
    for step in ("draft", "issue"):
        if step == "issue":
            issued = await orbit.http.post(
                f"/api/v1/invoices/{invoice['id']}/issue", headers=ADMIN, json={}
            )
            assert issued.status_code == 200, issued.text
        response = await orbit.http.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=ADMIN)
        assert response.status_code == 200, response.text[:500]
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-") and b"%%EOF" in response.content[-64:]


async def test_invoice_text_the_api_refuses_is_a_422(orbit: Orbit, hostile_client: str) -> None:
    for text in ["bell\x07", "nul\x00", "escape\x1b[31m", "lone \ud83d surrogate", "x" * 1001]:
        for field in ("description", "notes"):
            line = {"description": text if field == "description" else "ok", "quantity": "1"}
            body: dict[str, Any] = {
                "client_id": hostile_client,
                "currency": "EUR",
                "lines": [{**line, "unit_price": "1.00"}],
            }
            if field == "notes":
                body["notes"] = text * 3
            content = json.dumps(body)  # ASCII: a lone surrogate spelled \\ud83d
            response = await orbit.http.post("/api/v1/invoices", headers=JSON, content=content)
            assert_problem(response, 422)


# ---------------------------------------------------------------- numbers and dates at the edges


async def test_numbers_no_invoice_can_hold_are_a_422(orbit: Orbit, hostile_client: str) -> None:
    """``1e-999999999`` is a finite decimal a billion digits long once written out: it was
    stored and formatted (memory, seconds, then a 500)."""
    for number in ["1e-999999999", "1e999999999", "-1e999999", "NaN", "sNaN", "Infinity"]:
        line = {"description": "x", "quantity": "1", "unit_price": "1.00"}
        for field in ("quantity", "unit_price", "tax_rate"):
            body = {
                "client_id": hostile_client,
                "currency": "EUR",
                "lines": [{**line, field: number}],
            }
            response = await orbit.http.post("/api/v1/invoices", headers=ADMIN, json=body)
            assert_problem(response, 422)
        payment = {"client_id": hostile_client, "amount": number, "currency": "EUR"}
        response = await orbit.http.post("/api/v1/payments", headers=ADMIN, json=payment)
        assert_problem(response, 422)


@pytest.mark.parametrize("report", ["sla", "feedback", "activity", "revenue"])
async def test_reports_over_the_whole_calendar_answer(orbit: Orbit, report: str) -> None:
    """From 0001-01-01 to 9999-12-31: the end of the last day was past the calendar (a 500)."""
    for fmt in ("json", "csv", "xlsx"):
        response = await orbit.http.get(
            f"/api/v1/reports/{report}",
            headers=ADMIN,
            params={"from": "0001-01-01", "to": "9999-12-31", "format": fmt},
        )
        assert response.status_code in (200, 422), response.text[:300]
        if response.status_code == 422:
            assert_problem(response, 422)
    for path in ["aging?as_of=9999-12-31", "aging?as_of=0001-01-01"]:
        response = await orbit.http.get(f"/api/v1/reports/{path}", headers=ADMIN)
        assert response.status_code in (200, 422), response.text[:300]


# ---------------------------------------------------------------- hostile tokens and headers


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def test_hostile_tokens_are_a_401_and_hostile_headers_no_500(orbit: Orbit) -> None:
    admin = "00000000-0000-4000-8000-000000000001"
    tokens = [
        "x" * 8000,
        "a.b.c",
        "é" * 10,
        f"{_b64({'alg': 'HS256'})}.{_b64({'sub': 'x' * 10000, 'role': 'admin'})}.sig",
        f"{_b64({'alg': 'HS256', 'kid': '../../etc/passwd'})}.{_b64({'sub': admin})}.x",
        f"{_b64({'alg': 'RS256'})}.{_b64({'sub': admin, 'role': 'admin'})}.x",  # confusion
        f"{_b64({'alg': 'HS256', 'crit': ['x']})}.{_b64([1, 2])}.x",
        f"{_b64({'alg': 'none'})}.{_b64({'sub': ['a'], 'role': {'x': 1}, 'exp': 'soon'})}.",
    ]
    for value in tokens:
        headers = {"Authorization": f"Bearer {value}".encode()}
        response = await orbit.http.get("/api/v1/clients", headers=headers)
        assert_problem(response, 401)
    for name, value in [
        ("Idempotency-Key", "é" * 50),
        ("Idempotency-Key", "k" * 199 + "é"),
        ("X-Request-ID", "é\u202e" * 50),
        ("Content-Type", "application/json; charset=utf-16"),
        ("Content-Type", "multipart/form-data; boundary=x"),
    ]:
        email = f"hostile.{uuid.uuid4().hex[:8]}@header.example"
        response = await orbit.http.post(
            "/api/v1/staff",
            headers={**ADMIN, name: value.encode()},
            content=json.dumps({"name": "n", "email": email, "role": "manager"}).encode(),
        )
        assert response.status_code < 500, (name, value, response.text[:300])
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
