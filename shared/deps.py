"""The FastAPI dependencies every service's routers take, made once per service.

In a service's ``api/deps.py``::

    DEPS = service_deps("clients")
    RuntimeDep = Annotated[ServiceRuntime, DEPS.runtime]
    CallerDep = Annotated[Caller, DEPS.caller]

``RuntimeDep`` is the service's :class:`ServiceRuntime`, ``CallerDep`` the authenticated
:class:`Caller` (its token checked against the service's staff records). The dependency
functions themselves are ``shared.app.runtime_dependency`` and ``caller_dependency``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from shared.app import caller_dependency, runtime_dependency
from shared.auth import Role
from shared.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class ServiceDeps:
    """``Depends(...)`` markers of one service: put them in ``Annotated[...]``."""

    service: str
    runtime: Any
    caller: Any


def service_deps(service: str) -> ServiceDeps:
    return ServiceDeps(
        service,
        runtime=Depends(runtime_dependency(service)),
        caller=Depends(caller_dependency(service)),
    )


async def require_service(request: Request, runtime: Any) -> None:
    """The internal endpoints (``/internal/v1/...``, for the other services): a ``service``
    token (or an admin's), verified, with no staff record needed; else 401/403."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    claims = await runtime.verifier.decode(token.strip())
    if claims.role not in (Role.SERVICE, Role.ADMIN):
        raise Forbidden("this endpoint is for services")
