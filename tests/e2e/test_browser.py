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
  ``?last_event_id=`` gets exactly that one and the next.

Not proven here: ``EventSource``'s own automatic reconnection (it reuses its URL, so its
spent ticket is refused; docs/api.md tells pages to reopen as above). Orbit's log (INFO)
holds no ticket and no token.

Skipped only where Chromium is absent; with CI=true that is a failure
(deploy/local/chromium.sh installs it, as up.sh does)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
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


@contextlib.contextmanager
def static_site(directory: Path) -> Iterator[str]:
    """The files of ``directory`` over HTTP on a free loopback port: the page's origin."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(Quiet, directory=str(directory))
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
    with static_site(BROWSER_DIR) as site:
        port = free_port()
        env = base_env(
            ORBIT_DATA_DIR=str(tmp_path / "var"),
            ORBIT_CORS_ORIGINS=site,
            ORBIT_STREAM_POLL_SECONDS="0.1",
            ORBIT_LOG_LEVEL="INFO",
        )
        log = tmp_path / "orbit-run.log"
        with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
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
                "api": url,
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
    logged = log.read_text()
    assert "/api/v1/notifications/stream" in logged  # the requests are logged ...
    leaked = [s for s in [*seen["tickets"], *tokens.values()] if s in logged]
    assert not leaked, "a ticket or token is in Orbit's log"  # ... without their secrets


def judge(seen: dict[str, Any], tag: str) -> None:
    def assigned(*names: str) -> list[str]:
        return [f"New client assigned: {tag} {name}" for name in names]

    def titles(events: list[dict[str, str]]) -> list[str]:
        return [e["title"] for e in events]

    assert seen["list"]["status"] == 200 and seen["list"]["body"]["items"] == []
    assert len(seen["list"]["X-Request-ID"]) == 32  # an exposed header, readable
    assert seen["ticket"]["status"] == 201 and seen["ticket"]["cacheControl"] == "no-store"
    assert [c["status"] for c in seen["created"]] == [201] * 5
    assert seen["created"][0]["Idempotent-Replayed"] is None
    assert seen["replayed"]["status"] == 201 and seen["replayed"]["Idempotent-Replayed"] == "true"

    assert titles(seen["live"]) == assigned("one")
    assert seen["reused"]["status"] == 401
    assert seen["reused"]["type"].startswith("application/problem+json")
    assert "already used" in seen["reused"]["body"]["detail"]

    assert seen["fetched"]["status"] == 200
    assert titles(seen["fetched"]["events"]) == assigned("two", "three")
    assert titles(seen["resumed"]) == assigned("four", "five")
    ids = [e["id"] for e in [*seen["live"], *seen["fetched"]["events"], *seen["resumed"]]]
    assert len(set(ids)) == 5
