"""Reading the problem+json answers (RFC 9457) the services give."""

from __future__ import annotations

import httpx


def field_errors(response: httpx.Response) -> set[str]:
    """The dotted field paths a 422 problem names, without their ``body``/``query`` root
    (``lines.0.quantity``, ``status``)."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {
        ".".join(str(p) for p in e["loc"] if p not in ("body", "query"))
        for e in response.json()["errors"]
    }
