"""The FastAPI application factory for one service (``orbit serve``) or all of them in one
process (``orbit run``), plus the per-concern dependencies (runtime, caller)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import Caller, authenticate
from shared.clock import Clock
from shared.errors import RETRY_AFTER_SECONDS, install_error_handlers
from shared.logging import RequestContextMiddleware
from shared.messaging.bus import Bus, create_bus
from shared.metrics import render
from shared.runtime import ServiceRuntime, ServiceSpec
from shared.settings import OrbitSettings

_bearer_scheme = HTTPBearer(auto_error=False, description="JWT (HS256 dev/test, RS256 via JWKS)")


def create_app(
    specs: Sequence[ServiceSpec],
    settings: OrbitSettings,
    *,
    bus: Bus | None = None,
    clock: Clock | None = None,
    migrate_on_start: bool = False,
    workers: bool = True,
    title: str | None = None,
) -> FastAPI:
    """Serve ``specs`` from one app. Nothing connects until the lifespan starts."""
    the_bus = bus or create_bus(
        settings.kafka_bootstrap,
        partitions=settings.kafka_partitions,
        replication=settings.kafka_replication_factor,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtimes = {s.name: ServiceRuntime(s, settings, the_bus, clock) for s in specs}
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
                    await runtime.engine.dispose()
            await the_bus.stop()

    names = ", ".join(s.name for s in specs)
    app = FastAPI(
        title=title or f"Orbit ({names})",
        version="1.0.0",
        lifespan=lifespan,
        description="Orbit: the backend account-management teams run on.",
    )
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    for spec in specs:
        for router in spec.routers:
            app.include_router(router)

    @app.get("/healthz", tags=["health"], operation_id="healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], operation_id="readyz")
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


def runtime_dependency(service: str) -> Callable[[Request], ServiceRuntime]:
    def get_runtime(request: Request) -> ServiceRuntime:
        runtime: ServiceRuntime = request.app.state.orbit[service]
        return runtime

    return get_runtime


def caller_dependency(service: str) -> Callable[..., object]:
    get_runtime = runtime_dependency(service)

    # Defaults, not Annotated: the annotations are strings and get_runtime is a local name.
    async def get_caller(
        request: Request,
        runtime: ServiceRuntime = Depends(get_runtime),
        _bearer: HTTPAuthorizationCredentials | None = Depends(_bearer_scheme),
    ) -> Caller:
        authorization = request.headers.get("authorization")
        return await authenticate(authorization, runtime.verifier, runtime.load_staff)

    return get_caller
