"""One dependency per concern for the clients routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from services.clients import SERVICE
from services.clients.policies import ClientPolicies
from services.clients.settings import ClientsSettings
from shared.auth import Caller
from shared.deps import service_deps
from shared.runtime import ServiceRuntime

DEPS = service_deps(SERVICE)
RuntimeDep = Annotated[ServiceRuntime, DEPS.runtime]
CallerDep = Annotated[Caller, DEPS.caller]


async def get_settings(runtime: RuntimeDep) -> ClientsSettings:
    return cast(ClientsSettings, runtime.settings)


SettingsDep = Annotated[ClientsSettings, Depends(get_settings)]


async def get_policies(settings: SettingsDep) -> ClientPolicies:
    """The policies of one request (read from the database once, when first needed)."""
    return ClientPolicies(settings)


PoliciesDep = Annotated[ClientPolicies, Depends(get_policies)]
