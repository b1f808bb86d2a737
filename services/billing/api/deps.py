"""One dependency per concern for the billing routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from services.billing.handlers.common import require_staff
from services.billing.settings import BillingSettings
from shared.app import caller_dependency, runtime_dependency
from shared.auth import Caller
from shared.runtime import ServiceRuntime

SERVICE = "billing"

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
