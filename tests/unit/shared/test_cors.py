"""CORS for browser frontends on other origins (ORBIT_CORS_ORIGINS): the preflight of a
stream resume (``Last-Event-ID``) and of a traced request passes, a header nobody allowed
does not, and every response header docs/api.md names is readable by the page's script."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from services.embedded import standalone_app
from shared.app import CORS_RESPONSE_HEADERS
from tests.support.apps import test_settings

ORIGIN = "http://localhost:5173"
API_DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def preflight_headers(method: str, headers: str) -> dict[str, str]:
    return {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def test_the_preflight_allows_resuming_the_stream_and_tracing() -> None:
    app = standalone_app("notifications", test_settings(cors_origins=ORIGIN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as h:
        resume = await h.options(
            "/api/v1/notifications/stream",
            headers=preflight_headers("GET", "authorization,last-event-id,traceparent"),
        )
        assert resume.status_code == 200, resume.text
        assert resume.headers["access-control-allow-origin"] == ORIGIN
        allowed = resume.headers["access-control-allow-headers"].lower()
        assert {"authorization", "last-event-id", "traceparent"} <= set(allowed.split(", "))
        other = await h.options(
            "/api/v1/notifications/stream", headers=preflight_headers("GET", "x-unheard-of")
        )
        assert other.status_code == 400 and "Disallowed CORS headers" in other.text


async def test_a_page_reads_every_response_header_the_docs_name() -> None:
    app = standalone_app("notifications", test_settings(cors_origins=ORIGIN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as h:
        response = await h.get("/healthz", headers={"Origin": ORIGIN})
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert sorted(exposed) == sorted(CORS_RESPONSE_HEADERS)
    # docs/api.md lists them in one place ("readable response headers: `A`, `B`, …").
    [listed] = re.findall(r"readable response headers: ([^.]*)\.", API_DOC.read_text())
    assert sorted(re.findall(r"`([^`]+)`", listed)) == sorted(CORS_RESPONSE_HEADERS)
