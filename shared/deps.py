"""The FastAPI dependencies every service's routers take, made once per service.

In a service's ``api/deps.py``::

    DEPS = service_deps("clients")
    RuntimeDep = Annotated[ServiceRuntime, DEPS.runtime]
    CallerDep = Annotated[Caller, DEPS.caller]

``RuntimeDep`` is the service's :class:`ServiceRuntime`, ``CallerDep`` the authenticated
:class:`Caller` (its token checked against the service's staff records; an integration's
against the route's scope, ``shared/scopes.py``). The dependency functions themselves are
``shared.app.runtime_dependency`` and ``caller_dependency``.

A router whose answers show other services' data says so once, for all its routes (or a
route for itself, in its decorator's ``dependencies``)::

    router = APIRouter(dependencies=[DEPS.reads("clients", "interactions", "billing")])
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from shared.app import caller_dependency, checks_scopes, runtime_dependency
from shared.auth import Caller, Role
from shared.errors import Forbidden, Unauthorized
from shared.scopes import parse_scopes


@dataclass(frozen=True)
class ServiceDeps:
    """``Depends(...)`` markers of one service: put them in ``Annotated[...]``."""

    service: str
    runtime: Any
    caller: Any

    def reads(self, *services: str) -> Any:
        """A router's dependency: an integration needs the ``read`` scopes of ``services``
        too (besides its route's own), for routes that show those services' data."""
        needed = tuple(sorted(parse_scopes([f"{s}:read" for s in services])))
        return Depends(_also_reads(self.caller.dependency, needed))


def service_deps(service: str) -> ServiceDeps:
    return ServiceDeps(
        service,
        runtime=Depends(runtime_dependency(service)),
        caller=Depends(caller_dependency(service)),
    )


def _also_reads(
    get_caller: Callable[..., Awaitable[Caller]], needed: tuple[str, ...]
) -> Callable[..., Awaitable[None]]:
    async def also_reads(caller: Caller = Depends(get_caller)) -> None:
        caller.require_scopes(needed)

    checks_scopes(also_reads, needed)
    return also_reads


async def require_service(request: Request, runtime: Any) -> None:
    """The internal endpoints (``/internal/v1/...``, for the other services): a ``service``
    token (or an admin's), verified, with no staff record needed; else 401/403."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    claims = await runtime.verifier.decode(token.strip())
    if claims.role not in (Role.SERVICE, Role.ADMIN):
        raise Forbidden("this endpoint is for services")
