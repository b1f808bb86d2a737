"""The request body limit (``ORBIT_MAX_BODY_BYTES``): a larger body is a 413 problem+json.

A plain ASGI middleware in front of the routes. A ``Content-Length`` above the limit is
answered at once, before any of the body is read; a body without one (chunked transfer
encoding) is counted as it arrives, and the read that crosses the limit raises
:class:`BodyTooLarge`, an ``HTTPException``: FastAPI lets it through its body parsing (any
other exception there becomes a 400) to the app's error handler, which answers the 413 as
problem+json. Nothing beyond the limit is ever buffered.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import problem


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive`` once the body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit), headers={"Connection": "close"})


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths (exact) that take a larger body (uploads), with their own limit.
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.max_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            if declared.isdigit():
                detail, status, title, slug = (
                    too_large_detail(limit),
                    413,
                    "Content Too Large",
                    "content-too-large",
                )
            else:  # uvicorn refuses these itself; another server might not
                detail, status, title, slug = (
                    "Content-Length is not a number.",
                    400,
                    "Bad Request",
                    "bad-request",
                )
            response = problem(status, title, detail, slug, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            # Read outside the routes' error handling (none does today): answered here.
            if started:
                raise
            await problem(
                413, "Content Too Large", str(exc.detail), "content-too-large", headers=exc.headers
            )(scope, receive, send)
