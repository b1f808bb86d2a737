"""One dependency per concern for the billing routers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar, cast

from fastapi import Depends
from pydantic import BaseModel

from services.billing.handlers.common import require_staff
from services.billing.settings import BillingSettings
from shared.app import caller_dependency, runtime_dependency
from shared.auth import Caller
from shared.runtime import ServiceRuntime
from shared.uow import UnitOfWork

SERVICE = "billing"
T = TypeVar("T")

RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_dependency(SERVICE))]
CallerDep = Annotated[Caller, Depends(caller_dependency(SERVICE))]


async def staff_caller(caller: CallerDep) -> Caller:
    """A member of staff (a ``service`` token may only book payments: 403)."""
    require_staff(caller)
    return caller


StaffDep = Annotated[Caller, Depends(staff_caller)]


def get_settings(runtime: RuntimeDep) -> BillingSettings:
    return cast(BillingSettings, runtime.settings)


SettingsDep = Annotated[BillingSettings, Depends(get_settings)]


def presenting(
    handler: Callable[[UnitOfWork], Awaitable[T]], present: Callable[[T], BaseModel]
) -> Callable[[UnitOfWork], Awaitable[BaseModel]]:
    """A use case whose entity the router presents (for ``run_command``)."""

    async def command(uow: UnitOfWork) -> BaseModel:
        return present(await handler(uow))

    return command
