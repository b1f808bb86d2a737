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
route for itself, in its decorator's ``dependencies``); ``DEPS.needs("billing:write")`` for a
route that changes another service's data::

    router = APIRouter(dependencies=[DEPS.reads("clients", "interactions", "billing")])
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints

from fastapi import Depends, Request

from shared.app import caller_dependency, checks_scopes, runtime_dependency
from shared.auth import Caller, Role
from shared.errors import Forbidden, Unauthorized
from shared.scopes import parse_scopes

Q = TypeVar("Q")


def query_params(cls: type[Q]) -> Callable[..., Awaitable[Q]]:
    """The dependency of a class of query parameters (``Annotated[Cls,
    Depends(query_params(Cls))]`` in place of ``Depends()``): an async function taking what
    ``Cls(...)`` takes (the same parameters, so the same OpenAPI) and returning the instance.
    FastAPI calls a class, like any plain function, in its thread pool: a thread hop per
    request (a worker thread woken, the result handed back through the event loop) for what
    is only an ``__init__``."""
    signature = inspect.signature(cls)
    # The annotations as types (the class's module may use ``from __future__ import
    # annotations``: FastAPI would resolve the strings in this module's globals).
    hints = get_type_hints(
        cls.__init__, globalns=vars(sys.modules[cls.__module__]), include_extras=True
    )
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
    ]

    async def make(**values: Any) -> Q:
        return cls(**values)

    make.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=cls
    )
    make.__name__ = make.__qualname__ = f"{cls.__name__}_params"
    make.__module__ = cls.__module__
    return make


@dataclass(frozen=True)
class ServiceDeps:
    """``Depends(...)`` markers of one service: put them in ``Annotated[...]``."""

    service: str
    runtime: Any
    caller: Any

    def needs(self, *scopes: str) -> Any:
        """A router's (or a route's) dependency: an integration needs ``scopes`` too, besides
        its route's own (e.g. a route of one service that writes another's data)."""
        parse_scopes(scopes)  # a typo fails at import, not at the first request
        return Depends(_also_needs(self.caller.dependency, tuple(dict.fromkeys(scopes))))

    def reads(self, *services: str) -> Any:
        """:meth:`needs` the ``read`` scopes of ``services``: for routes that show those
        services' data."""
        return self.needs(*(f"{s}:read" for s in sorted(services)))


def service_deps(service: str) -> ServiceDeps:
    return ServiceDeps(
        service,
        runtime=Depends(runtime_dependency(service)),
        caller=Depends(caller_dependency(service)),
    )


def _also_needs(
    get_caller: Callable[..., Awaitable[Caller]], needed: tuple[str, ...]
) -> Callable[..., Awaitable[None]]:
    async def also_needs(caller: Caller = Depends(get_caller)) -> None:
        caller.require_scopes(needed)

    checks_scopes(also_needs, needed)
    return also_needs


async def require_service(request: Request, runtime: Any) -> None:
    """The internal endpoints (``/internal/v1/...``, for the other services): a ``service``
    token (or an admin's), verified, with no staff record needed; else 401/403."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    claims = await runtime.verifier.decode(token.strip())
    if claims.role not in (Role.SERVICE, Role.ADMIN):
        raise Forbidden("this endpoint is for services")
