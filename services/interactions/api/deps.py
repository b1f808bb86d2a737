"""One dependency per concern for the interactions routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from services.interactions.settings import InteractionsSettings
from shared.app import caller_dependency, runtime_dependency
from shared.auth import Caller
from shared.runtime import ServiceRuntime

SERVICE = "interactions"

RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_dependency(SERVICE))]
CallerDep = Annotated[Caller, Depends(caller_dependency(SERVICE))]


def get_settings(runtime: RuntimeDep) -> InteractionsSettings:
    return cast(InteractionsSettings, runtime.settings)


SettingsDep = Annotated[InteractionsSettings, Depends(get_settings)]
