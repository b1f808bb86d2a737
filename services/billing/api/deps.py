"""One dependency per concern for the billing routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from services.billing import SERVICE
from services.billing.handlers.common import require_staff
from services.billing.settings import BillingSettings
from shared.auth import Caller
from shared.deps import service_deps
from shared.runtime import ServiceRuntime

DEPS = service_deps(SERVICE)
RuntimeDep = Annotated[ServiceRuntime, DEPS.runtime]
CallerDep = Annotated[Caller, DEPS.caller]


async def get_settings(runtime: RuntimeDep) -> BillingSettings:
    return cast(BillingSettings, runtime.settings)


SettingsDep = Annotated[BillingSettings, Depends(get_settings)]


async def staff_caller(caller: CallerDep) -> Caller:
    """A member of staff, for the reads (a ``service`` token may only book payments: 403).
    A command's use case checks its caller itself (``handlers/``)."""
    require_staff(caller)
    return caller


STAFF = Depends(staff_caller)
StaffDep = Annotated[Caller, STAFF]
