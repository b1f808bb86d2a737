"""One dependency per concern for the interactions routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from services.interactions import SERVICE
from services.interactions.settings import InteractionsSettings
from shared.auth import Caller
from shared.deps import service_deps
from shared.runtime import ServiceRuntime

DEPS = service_deps(SERVICE)
RuntimeDep = Annotated[ServiceRuntime, DEPS.runtime]
CallerDep = Annotated[Caller, DEPS.caller]


async def get_settings(runtime: RuntimeDep) -> InteractionsSettings:
    return cast(InteractionsSettings, runtime.settings)


SettingsDep = Annotated[InteractionsSettings, Depends(get_settings)]
