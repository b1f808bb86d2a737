"""The FastAPI application factory: :func:`build_app` serves one or several service specs
(``orbit serve``, ``orbit run``), :func:`build_service_app` one spec with its own settings
(each ``services/<name>/app.py: create_app``); plus the per-concern dependencies (runtime,
caller; ``shared.deps`` makes a service's aliases of them)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.auth import Caller, authenticate
from shared.body_limit import BodyLimitMiddleware
from shared.clock import Clock
from shared.errors import PROBLEM_JSON, RETRY_AFTER_SECONDS, Problem, install_error_handlers
from shared.logging import RequestContextMiddleware
from shared.messaging.bus import Bus
from shared.messaging.factory import create_bus
from shared.metrics import render
from shared.runtime import ServiceRuntime, ServiceSpec
from shared.scopes import route_scope
from shared.settings import OrbitSettings
from shared.tracing import configure_tracing


class Readiness(BaseModel):
    """/readyz: each check (``database:<service>``, ``bus``) true when it answers."""

    status: Literal["ready", "unavailable"]
    checks: dict[str, bool]


# The bearer scheme of the OpenAPI document (routes that take a token in another way too,
# e.g. the notifications stream's ticket, depend on it directly).
# What a browser on another origin (ORBIT_CORS_ORIGINS) may send besides the safelisted
# headers: Last-Event-ID resumes the notifications stream (a fetch-based reader sends it
# with Authorization), traceparent continues a browser's trace.
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Request-ID",
    "Last-Event-ID",
    "traceparent",
]
# ... and may read: every response header docs/api.md names.
CORS_RESPONSE_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "Content-Disposition",
    "Idempotent-Replayed",
]

bearer_scheme = HTTPBearer(auto_error=False, description="JWT (HS256 dev/test, RS256 via JWKS)")


def build_app(
    specs: Sequence[ServiceSpec],
    settings: OrbitSettings,
    *,
    bus: Bus | None = None,
    clock: Clock | None = None,
    migrate_on_start: bool = False,
    workers: bool = True,
    title: str | None = None,
) -> FastAPI:
    """Serve ``specs`` from one app. Nothing connects until the lifespan starts.

    Each service's settings are read here, once (``ServiceSpec.load_settings``: ``settings``
    plus the service's own knobs); an invalid value raises ``pydantic.ValidationError``."""
    own = {s.name: s.load_settings(settings) for s in specs}
    # On only with OTEL_EXPORTER_OTLP_ENDPOINT and the otel extra (shared/tracing.py).
    configure_tracing("orbit" if len(specs) != 1 else f"orbit-{specs[0].name}")
    the_bus = bus or create_bus(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtimes = {s.name: ServiceRuntime(s, own[s.name], the_bus, clock) for s in specs}
        # Replica misses read through to the clients service: in this process when it is here.
        owner = next((r for r in runtimes.values() if r.spec.owner is not None), None)
        # Documents (the invoice PDF of emails) from the service rendering them, when here.
        renderer = next((r for r in runtimes.values() if r.spec.documents is not None), None)
        # Files handed to the clients service to keep (attachments of inbound mail), when here.
        keeper = next((r for r in runtimes.values() if r.spec.keeps_files is not None), None)
        for runtime in runtimes.values():
            runtime.link_owner(owner)
            runtime.link_documents(renderer)
            runtime.link_files(keeper)
            runtime.link_owner_lookups(list(runtimes.values()))
            runtime.link_importers(list(runtimes.values()))
        app.state.orbit = runtimes
        app.state.bus = the_bus
        started: list[ServiceRuntime] = []
        try:
            await the_bus.start()
            for runtime in runtimes.values():
                if migrate_on_start:
                    await runtime.migrate()
            for runtime in runtimes.values():
                await runtime.start(relay=workers, consumer=workers, scheduler=workers)
                started.append(runtime)
            yield
        finally:
            for runtime in reversed(started):
                await runtime.stop()
            for runtime in runtimes.values():
                if runtime not in started:
                    await runtime.dispose()
            await the_bus.stop()

    names = ", ".join(s.name for s in specs)
    app = FastAPI(
        title=title or f"Orbit ({names})",
        version="1.0.0",
        lifespan=lifespan,
        description="Orbit: the backend account-management teams run on.",
    )
    # Innermost of the three: the 413 is logged and counted with the request id, and carries
    # the CORS headers a browser needs to read it.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        # The routes taking larger bodies (uploads), each with its own limit.
        larger={
            path: limit
            for s in specs
            if s.body_limits is not None
            for path, limit in s.body_limits(own[s.name]).items()
        },
    )
    if settings.cors_origin_list:
        # Outermost: a preflight is answered before anything else; bearer tokens, not
        # cookies, so no credentials. The response headers docs/api.md names are readable
        # by scripts.
        app.add_middleware(RequestContextMiddleware)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_RESPONSE_HEADERS,
            max_age=600,
        )
    else:
        app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    document_problems(app)
    for spec in specs:
        for router in spec.routers:
            app.include_router(router)

    @app.get("/healthz", tags=["health"], operation_id="healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        operation_id="readyz",
        responses={
            200: {"model": Readiness, "description": "Every database and the bus answer"},
            503: {"model": Readiness, "description": "A database or the bus is unreachable"},
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        runtimes: dict[str, ServiceRuntime] = request.app.state.orbit
        checks = await asyncio.gather(*(r.database_ready() for r in runtimes.values()))
        detail = {f"database:{name}": ok for name, ok in zip(runtimes, checks, strict=True)}
        detail["bus"] = await request.app.state.bus.ready()
        ok = all(detail.values())
        return JSONResponse(
            {"status": "ready" if ok else "unavailable", "checks": detail},
            status_code=200 if ok else 503,
            headers=None if ok else {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.get("/metrics", tags=["health"], operation_id="metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = render()
        return Response(body, media_type=content_type)

    return app


def build_service_app(
    spec: ServiceSpec, settings: OrbitSettings | None = None, **kwargs: Any
) -> FastAPI:
    """``spec`` served on its own, with its own settings (``spec.load_settings``: from the
    environment when ``settings`` is None); ``kwargs`` as for :func:`build_app`."""
    return build_app([spec], spec.load_settings(settings), **kwargs)


# --- OpenAPI: the problem+json error responses of every operation ------------------------------

_PROBLEMS: dict[int, str] = {
    400: "Malformed request: a body that cannot be parsed, or an Idempotency-Key that is "
    "empty or longer than 200 characters",
    401: "Missing, expired or invalid bearer token",
    403: "The caller's role may not do this, or an integration's token lacks the operation's scope",
    404: "No such object, or one outside the caller's scope",
    409: "Conflicts with the current state: a duplicate, an illegal transition, or an "
    "Idempotency-Key used with another body or still in progress",
    413: "The request body is larger than `ORBIT_MAX_BODY_BYTES` (1 MiB by default)",
    415: "The file's type is not accepted (`ORBIT_FILES_ALLOWED_TYPES`)",
    422: "Invalid request: `errors` lists each invalid field (`loc`, `msg`); also a JSON body "
    "nested too deeply to parse",
    503: "The service cannot reach its database, or the clients service to confirm a client, "
    "contact or member of staff it has not seen yet; retry after `Retry-After` seconds",
}
_MUTATING = {"post", "put", "patch", "delete"}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _PROBLEMS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 503:
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before retrying",
                "schema": {"type": "integer"},
            }
        }
    return response


def problem_statuses(
    path: str, method: str, operation: dict[str, Any], body_fields: Collection[str] = ()
) -> list[int]:
    """The error statuses an operation can answer: 400 when it takes a body (one that cannot
    be parsed) or an ``Idempotency-Key`` (out of bounds), 401/403/503 when it is
    authenticated (every API call loads its caller), 404 when it names an object in its path
    or a client in its body (``client_id``, or a document's ``owner_id``: unknown or out of
    the caller's scope), 409 when it changes something, 413 when it takes a body (larger
    than ``ORBIT_MAX_BODY_BYTES``), 415 when it takes a file (a type not accepted), 422 when
    it takes input. (The statuses an operation declares itself are documented too.)"""
    statuses = []
    if "requestBody" in operation or any(
        p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
        for p in operation.get("parameters", [])
    ):
        statuses.append(400)
    if "requestBody" in operation:
        statuses.append(413)
        if "multipart/form-data" in operation["requestBody"].get("content", {}):
            statuses.append(415)
    if operation.get("security"):
        statuses += [401, 403, 503]
        if method in _MUTATING:
            statuses.append(409)
    if "{" in path or {"client_id", "owner_id"} & set(body_fields):
        statuses.append(404)
    if (
        "422" in operation.get("responses", {})
        or operation.get("parameters")
        or ("requestBody" in operation)
    ):
        statuses.append(422)
    return sorted(statuses)


def _body_fields(operation: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The top-level properties of an operation's JSON request body (its ``$ref`` resolved)."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body = schemas.get(ref.rsplit("/", 1)[-1], {})
    return set(body.get("properties", {}))


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document every operation's error responses as ``application/problem+json`` with the
    ``Problem`` schema, in place of FastAPI's default 422 ``HTTPValidationError``."""
    _, definitions = models_json_schema(
        [(Problem, "serialization")], ref_template="#/components/schemas/{model}"
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definitions.get("$defs", {}))
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _MUTATING | {"get", "head", "options", "trace"}:
                continue
            responses = operation.setdefault("responses", {})
            fields = _body_fields(operation, schemas)
            # Error statuses the route declares without a body of their own are problems too.
            declared_errors = {
                int(s) for s, r in responses.items() if s[0] in "45" and "content" not in r
            }
            for status in sorted(
                {*problem_statuses(path, method, operation, fields)} | declared_errors
            ):
                declared = responses.get(str(status), {})
                responses[str(status)] = {
                    **_problem_response(status),
                    **{k: v for k, v in declared.items() if k not in ("content", "description")},
                }
            operation["responses"] = dict(sorted(responses.items()))
    # FastAPI's own validation error schemas, unless something still refers to them.
    for unused in ("HTTPValidationError", "ValidationError"):
        others = {
            name: value
            for name, value in schemas.items()
            if name not in ("HTTPValidationError", "ValidationError")
        }
        if f'"#/components/schemas/{unused}"' not in json.dumps([schema["paths"], others]):
            schemas.pop(unused, None)
    return schema


_GENERIC_PAGE = re.compile(r"^Page_(?P<item>[A-Za-z0-9]+)_$")
_FORM_BODY = re.compile(r"^Body_(?P<operation>[a-z][A-Za-z0-9]*)$")


def readable_component_names(schema: dict[str, Any]) -> dict[str, Any]:
    """Component names client generators turn into readable types (every ``$ref`` follows):

    - a page of a generic ``Page[ClientOut]`` (``Page_ClientOut_`` by pydantic) is
      ``ClientPage``, its title too;
    - two models of one name in an app (``ReportOut`` of billing and of interactions in the
      embedded app), named by FastAPI after their module path
      (``services__billing__api__exports__ReportOut``), are ``BillingReportOut`` and
      ``InteractionsReportOut``;
    - the multipart form of an operation (``Body_uploadFile`` by FastAPI) is
      ``UploadFileForm``.

    A service's own document changes only in these names, never in paths or fields."""
    schemas = schema.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name in schemas:
        parts = name.split("__")
        page = _GENERIC_PAGE.match(name)
        form = _FORM_BODY.match(name)
        if len(parts) > 2 and parts[0] == "services":
            renames[name] = parts[1].capitalize() + parts[-1]
        elif page:
            renames[name] = page["item"].removesuffix("Out") + "Page"
        elif form:
            operation = form["operation"]
            renames[name] = operation[0].upper() + operation[1:] + "Form"
    if not renames or len(set(renames.values()) | (set(schemas) - set(renames))) != len(schemas):
        return schema  # a renamed one would collide: keep FastAPI's names
    text = json.dumps(schema)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed: dict[str, Any] = json.loads(text)
    components = renamed["components"]["schemas"]
    renamed["components"]["schemas"] = {
        renames.get(name, name): value for name, value in components.items()
    }
    for old, new in renames.items():
        if _GENERIC_PAGE.match(old) or _FORM_BODY.match(old):
            renamed["components"]["schemas"][new]["title"] = new
    return renamed


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and /openapi.json) document the problem+json errors, with
    readable component names."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = readable_component_names(add_problem_responses(build()))
            app.openapi_schema = document_scopes(app, schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# The dependencies that check an integration's scopes (``shared/scopes.py``): a route's
# caller (the service whose ``read``/``write`` it needs, by the method) and the scopes a
# router needs besides (``shared.deps.ServiceDeps.reads``). The OpenAPI names them.
_ROUTE_SCOPE_SERVICE: dict[Callable[..., object], str] = {}
_EXTRA_SCOPES: dict[Callable[..., object], tuple[str, ...]] = {}


def checks_route_scope(call: Callable[..., object], service: str) -> None:
    """``call`` (a caller dependency) checks the scope of ``service`` its route needs."""
    _ROUTE_SCOPE_SERVICE[call] = service


def checks_scopes(call: Callable[..., object], scopes: tuple[str, ...]) -> None:
    """``call`` (a router's dependency) checks ``scopes`` besides the route's own."""
    _EXTRA_SCOPES[call] = scopes


def operation_scopes(dependant: Dependant, method: str) -> list[str]:
    """The scopes an integration needs for a route (its dependencies'), the route's first."""
    found: list[str] = []
    for dependency in dependant.dependencies:
        call = dependency.call
        if call is not None and call in _ROUTE_SCOPE_SERVICE:
            found.insert(0, route_scope(_ROUTE_SCOPE_SERVICE[call], method))
        found += _EXTRA_SCOPES.get(call, ()) if call is not None else ()
        found += operation_scopes(dependency, method)
    return list(dict.fromkeys(found))


def document_scopes(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Each authenticated operation's security requirement names the scopes an integration
    needs (OpenAPI 3.1: the roles a non-OAuth scheme requires), e.g. ``[{"HTTPBearer":
    ["clients:read"]}]``."""
    for route in iter_route_contexts(app.routes):  # the included routers' routes too
        dependant = getattr(route, "dependant", None)
        if not isinstance(dependant, Dependant) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            scopes = operation_scopes(dependant, method)
            if operation and operation.get("security") and scopes:
                operation["security"] = [
                    {name: scopes for name in r} for r in operation["security"]
                ]
    return schema


def runtime_dependency(service: str) -> Callable[[Request], Awaitable[ServiceRuntime]]:
    # async: FastAPI runs a sync dependency in the thread pool (a thread hop per request).
    async def get_runtime(request: Request) -> ServiceRuntime:
        runtime: ServiceRuntime = request.app.state.orbit[service]
        return runtime

    return get_runtime


def caller_dependency(service: str) -> Callable[..., object]:
    """The authenticated caller of a route of ``service``; an integration also needs the
    route's scope (``<service>:read`` for a GET, ``<service>:write`` otherwise): every route
    taking the caller is covered, with nothing to declare."""
    get_runtime = runtime_dependency(service)

    # Defaults, not Annotated: the annotations are strings and get_runtime is a local name.
    async def get_caller(
        request: Request,
        runtime: ServiceRuntime = Depends(get_runtime),
        _bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    ) -> Caller:
        authorization = request.headers.get("authorization")
        caller = await authenticate(authorization, runtime.verifier, runtime.load_staff)
        caller.require_scopes((route_scope(service, request.method),))
        return caller

    checks_route_scope(get_caller, service)
    return get_caller
