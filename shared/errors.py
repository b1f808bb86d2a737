"""Domain exceptions, mapped in one place to RFC 9457 ``application/problem+json``.

- :class:`OrbitError` subclasses: their status (400, 401, 403, 404, 409, 422, 503);
- request validation: 422 listing ``errors: [{loc, msg}]``;
- the database unreachable (refused or lost connection, server shutting down): 503 with
  ``Retry-After``, without internals;
- anything else: 500 without internals, logged once with its traceback and the request id
  (:func:`unexpected_error`, called by ``shared.logging.RequestContextMiddleware``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.db import is_database_unreachable

log = logging.getLogger("orbit.errors")
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class FieldError(BaseModel):
    """One invalid field of a 422: where it is (``["body", "sla", "timezone"]``,
    ``["query", "cursor"]``) and what is wrong with it."""

    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An error: RFC 9457 problem details, served as `application/problem+json`."""

    type: str = Field(
        description="a URI naming the kind of problem",
        examples=["https://orbit.dev/problems/not-found"],
    )
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(description="what went wrong, for a human")
    errors: list[FieldError] = Field(
        default_factory=list, description="422 only: each invalid field"
    )


class OrbitError(Exception):
    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class BadRequest(OrbitError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(OrbitError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(OrbitError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(OrbitError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(OrbitError):
    status, title, slug = 409, "Conflict", "conflict"


class Unavailable(OrbitError):
    """Something the answer depends on cannot be reached now: 503 with ``Retry-After``."""

    status, title, slug = 503, "Service Unavailable", "unavailable"


class Invalid(OrbitError):
    """A request that is well-formed but breaks a rule: 422 naming the fields."""

    status, title, slug = 422, "Unprocessable Content", "validation"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, loc: str | list[str | int], msg: str) -> Invalid:
        path = loc.split(".") if isinstance(loc, str) else list(loc)
        return cls(f"{'.'.join(map(str, path))}: {msg}", [{"loc": ["body", *path], "msg": msg}])


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem+json response; ``headers`` are sent too (e.g. a 405's ``Allow``)."""
    body: dict[str, Any] = {
        "type": f"https://orbit.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    sent = dict(headers or {})
    if status == 401:
        sent.setdefault("WWW-Authenticate", "Bearer")
    if status == 503:
        sent.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent)


# A path parameter of this name is a credential (a calendar feed's URL): the request log
# shows its route's template instead of the path.
SECRET_PATH_PARAMETER = "{token}"


def loggable_path(scope: Mapping[str, Any]) -> str:
    """The request's path as the logs show it: without a credential it holds."""
    route_path = getattr(scope.get("route"), "path", "")
    if SECRET_PATH_PARAMETER in route_path:
        return str(route_path)
    return str(scope.get("path", ""))


def unexpected_error(exc: BaseException, method: str, path: str) -> JSONResponse:
    """The 500 of an unexpected exception: logged here, once, with its traceback."""
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return problem(500, "Internal Server Error", "An unexpected error occurred.", "internal")


def database_unavailable(method: str, path: str, exc: BaseException) -> JSONResponse:
    log.warning("database unreachable on %s %s: %r", method, path, exc)
    return problem(
        503,
        "Service Unavailable",
        "The service cannot reach its database right now; retry later.",
        "unavailable",
    )


_HTTP_SLUGS = {
    400: ("Bad Request", "bad-request"),
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not Found", "not-found"),
    405: ("Method Not Allowed", "method-not-allowed"),
    409: ("Conflict", "conflict"),
    413: ("Content Too Large", "content-too-large"),
    415: ("Unsupported Media Type", "unsupported-media-type"),
}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path. Starlette's 405
    names only the methods of the first route matching the path, and FastAPI has one route
    per method (``GET`` and ``POST /api/v1/clients`` are two); each method is tried through
    the routes' own matching, so included routers are searched as the request would be."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def _loc(loc: Any) -> list[Any]:
    return [str(p) if not isinstance(p, int) else p for p in loc]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OrbitError)
    async def _orbit(_request: Request, exc: OrbitError) -> JSONResponse:
        extra: dict[str, Any] = {"errors": exc.errors} if isinstance(exc, Invalid) else {}
        return problem(exc.status, exc.title, exc.detail, exc.slug, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": _loc(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        names = ", ".join(".".join(map(str, e["loc"])) for e in errors)
        return problem(
            422, "Unprocessable Content", f"invalid: {names}", "validation", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, RecursionError):
            # FastAPI's 400 for a body the JSON parser gave up on: nested deeper than it
            # recurses (about 1000 levels). Invalid input like any other, named as such.
            msg = "the JSON is nested too deeply"
            errors = [{"loc": ["body"], "msg": msg}]
            return problem(422, "Unprocessable Content", msg, "validation", errors=errors)
        title, slug = _HTTP_SLUGS.get(exc.status_code, ("Error", f"http-{exc.status_code}"))
        # The exception's headers are part of the answer; a 405's Allow names every method
        # of the path (RFC 9110 15.5.6).
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (methods := allowed_methods(request)):
            headers["Allow"] = ", ".join(methods)
        return problem(exc.status_code, title, str(exc.detail or title), slug, headers=headers)

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if is_database_unreachable(exc):
            return database_unavailable(request.method, loggable_path(request.scope), exc)
        return unexpected_error(exc, request.method, loggable_path(request.scope))

    # OSError: asyncpg raises a refused connection as ConnectionRefusedError, unwrapped.
    for kind in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError):
        app.add_exception_handler(kind, _database)

    # Only reached by an app without RequestContextMiddleware (which answers the 500 itself,
    # with the request id, and keeps the exception from the server, which would log it again).
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error(exc, request.method, loggable_path(request.scope))
