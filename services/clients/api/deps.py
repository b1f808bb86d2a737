"""One dependency per concern for the clients routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from services.clients.settings import ClientsSettings
from shared.app import caller_dependency, runtime_dependency
from shared.auth import Caller
from shared.runtime import ServiceRuntime

SERVICE = "clients"

RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_dependency(SERVICE))]
CallerDep = Annotated[Caller, Depends(caller_dependency(SERVICE))]


async def get_settings(runtime: RuntimeDep) -> ClientsSettings:
    return cast(ClientsSettings, runtime.settings)


SettingsDep = Annotated[ClientsSettings, Depends(get_settings)]
