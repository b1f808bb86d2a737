"""A real browser on another origin against a real Orbit (``orbit run``): Debian's headless
Chromium, driven by puppeteer-core (tests/browser/, pinned in its package-lock.json,
installed with ``npm ci`` when missing), opens a page served by a static HTTP server on
another loopback port, and the page's own script (tests/browser/scenario.js) does what a
frontend does:

- CORS fetches with a bearer token (the preflights of ``Authorization``,
  ``Idempotency-Key``, ``Content-Type``), reading ``X-Request-ID`` and
  ``Idempotent-Replayed``;
- a native ``EventSource`` opened with a stream ticket receives the notification a write
  caused (an admin creates a client for the manager: "New client assigned");
- the spent ticket is refused (401 problem+json, read by the page);
- the stream drops (the page closes it), two notifications come meanwhile, and a
  ``fetch``-based reader resumes with the ``Last-Event-ID`` header (the preflight that
  refused it before): both, once, in order;
- dropped again, one more notification, and a new ``EventSource`` with a new ticket and
  ``?last_event_id=`` gets exactly that one and the next;
- a real drop (the test's relay between the page and Orbit cuts every connection): the
  ``EventSource`` reconnects by itself with ``Last-Event-ID`` but its spent ticket is
  refused and it closes (what docs/api.md tells pages to expect); the page reopens with a
  new ticket and ``?last_event_id=`` and gets the notification written meanwhile, and only
  that one.

So a stream resumes without loss or repeat through the header (fetch) and the query
parameter (``EventSource``); ``EventSource``'s own reconnection is shown to end, not to
resume. Orbit's log (INFO) holds no ticket and no token.

Skipped only where Chromium is absent; with CI=true that is a failure
(deploy/local/chromium.sh installs it, as up.sh does)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.apps import auth
from tests.support.net import free_port
from tests.support.processes import ORBIT, base_env, process, wait_healthy
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"


def chromium() -> str:
    """Debian's Chromium; skips the test where it is absent, fails instead under CI."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    node = shutil.which("node") and shutil.which("npm")
    if found and node:
        return found
    missing = "chromium" if not found else "node and npm"
    reason = f"{missing} not installed (bash deploy/local/chromium.sh install)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


def npm_ci() -> None:
    """puppeteer-core as tests/browser/package-lock.json pins it, when not installed yet."""
    if (BROWSER_DIR / "node_modules" / "puppeteer-core").is_dir():
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr


class CuttableProxy:
    """A TCP relay on a free loopback port to ``port`` (Orbit) that can cut every open
    connection at once (a network drop under an open stream), and keeps the head of each
    request that went through (to see what the browser sent)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.heads: list[str] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._open |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if requests and data[:8].split(b" ")[0].isupper():
                    with self._lock:
                        self.heads.append(data.split(b"\r\n\r\n")[0].decode("latin-1"))
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            cutting, self._open = self._open, set()
        for sock in cutting:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._listener.close()
        self.cut()


@contextlib.contextmanager
def static_site(directory: Path, proxy: CuttableProxy) -> Iterator[str]:
    """The files of ``directory`` over HTTP on a free loopback port: the page's origin.
    ``POST /cut`` cuts the page's connections to Orbit (``proxy``)."""

    class Site(SimpleHTTPRequestHandler):
        def do_POST(self) -> None:
            proxy.cut()
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(Site, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def new_manager(api: httpx.AsyncClient, admin: dict[str, str]) -> str:
    """A manager the notifications service knows (it can ask for a stream ticket)."""
    response = await api.post(
        "/api/v1/staff",
        headers=admin,
        json={"name": "Mia", "email": f"mia.{uuid.uuid4().hex[:8]}@example.com", "role": "manager"},
    )
    assert response.status_code == 201, response.text
    manager_id = str(response.json()["id"])
    mia = auth(manager_id, "manager")

    async def known() -> bool:
        return (await api.get("/api/v1/notifications", headers=mia)).status_code == 200

    await eventually(known, timeout=60, what="the notifications service knows the manager")
    return manager_id


async def test_a_page_on_another_origin_uses_orbit_and_its_live_stream(tmp_path: Path) -> None:
    browser = chromium()
    npm_ci()
    admin_id = uuid.uuid4()
    port = free_port()
    proxy = CuttableProxy(port)
    with contextlib.ExitStack() as stack:
        stack.callback(proxy.close)
        site = stack.enter_context(static_site(BROWSER_DIR, proxy))
        env = base_env(
            ORBIT_DATA_DIR=str(tmp_path / "var"),
            ORBIT_CORS_ORIGINS=site,
            ORBIT_NOTIFICATIONS_STREAM_POLL_SECONDS="0.1",
            ORBIT_LOG_LEVEL="INFO",
        )
        log = tmp_path / "orbit-run.log"
        proc = stack.enter_context(process([ORBIT, "run", "--port", str(port)], env, log))
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc, log)
        admin = auth(admin_id, "admin")
        async with httpx.AsyncClient(base_url=url, timeout=10) as api:
            manager_id = await new_manager(api, admin)
        tokens = {
            "admin": admin["Authorization"].removeprefix("Bearer "),
            "manager": auth(manager_id, "manager")["Authorization"].removeprefix("Bearer "),
        }
        config = {
            "chromium": browser,
            "page": f"{site}/page.html",
            "api": f"http://127.0.0.1:{proxy.port}",  # Orbit, through the cuttable relay
            "managerId": manager_id,
            "tag": f"Browser {uuid.uuid4().hex[:6]}",
            **tokens,
        }
        (tmp_path / "config.json").write_text(json.dumps(config))
        ran = subprocess.run(
            ["node", "run.mjs", str(tmp_path / "config.json")],
            cwd=BROWSER_DIR,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        assert ran.returncode == 0, f"{ran.stderr}\n--- orbit:\n{log.read_text()[-3000:]}"
    seen = json.loads(ran.stdout)
    judge(seen, config["tag"])
    native_reconnection(seen, proxy.heads)
    logged = log.read_text()
    assert "/api/v1/notifications/stream" in logged  # the requests are logged ...
    leaked = [s for s in [*seen["tickets"], *tokens.values()] if s in logged]
    assert not leaked, "a ticket or token is in Orbit's log"  # ... without their secrets


def native_reconnection(seen: dict[str, Any], heads: list[str]) -> None:
    """After the cut, the EventSource reconnected by itself: the same URL (its spent ticket)
    with ``Last-Event-ID`` (Chromium sends it without a preflight); refused, it closed
    (readyState 2) having received nothing more, and the page's reopening got the one
    notification written meanwhile. The fetch-based reader's request, which sends
    ``Authorization`` and ``Last-Event-ID`` itself, was preflighted naming both."""
    assert seen["cut"] == 204
    assert seen["native"] == {"states": [0, 2], "received": 2}
    last = seen["resumed"][-1]["id"]
    [reconnect] = [h for h in heads if f"last-event-id: {last}" in h.lower()]
    assert reconnect.startswith("GET /api/v1/notifications/stream?ticket="), reconnect
    preflights = [h for h in heads if h.startswith("OPTIONS /api/v1/notifications/stream ")]
    [asked] = [h for h in preflights if "access-control-request-headers" in h.lower()]
    assert "authorization,last-event-id" in asked.lower(), asked


def judge(seen: dict[str, Any], tag: str) -> None:
    def assigned(*names: str) -> list[str]:
        return [f"New client assigned: {tag} {name}" for name in names]

    def titles(events: list[dict[str, str]]) -> list[str]:
        return [e["title"] for e in events]

    assert seen["list"]["status"] == 200 and seen["list"]["body"]["items"] == []
    assert len(seen["list"]["X-Request-ID"]) == 32  # an exposed header, readable
    assert seen["ticket"]["status"] == 201 and seen["ticket"]["cacheControl"] == "no-store"
    assert [c["status"] for c in seen["created"]] == [201] * 6
    assert seen["created"][0]["Idempotent-Replayed"] is None
    assert seen["replayed"]["status"] == 201 and seen["replayed"]["Idempotent-Replayed"] == "true"

    assert titles(seen["live"]) == assigned("one")
    assert seen["reused"]["status"] == 401
    assert seen["reused"]["type"].startswith("application/problem+json")
    assert "already used" in seen["reused"]["body"]["detail"]

    assert seen["fetched"]["status"] == 200
    assert titles(seen["fetched"]["events"]) == assigned("two", "three")
    assert titles(seen["resumed"]) == assigned("four", "five")
    assert titles(seen["reopened"]) == assigned("six")
    events = [*seen["live"], *seen["fetched"]["events"], *seen["resumed"], *seen["reopened"]]
    assert len({e["id"] for e in events}) == 6
