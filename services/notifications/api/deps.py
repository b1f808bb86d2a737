"""One dependency per concern for the notifications routers."""

from __future__ import annotations

from typing import Annotated

from services.notifications import SERVICE
from shared.auth import Caller
from shared.deps import service_deps
from shared.runtime import ServiceRuntime

DEPS = service_deps(SERVICE)
RuntimeDep = Annotated[ServiceRuntime, DEPS.runtime]
CallerDep = Annotated[Caller, DEPS.caller]

# The routes that show the other services' data (a client's timeline and summary, search, the
# scorecard): an integration needs their read scopes too.
OTHERS_READS = DEPS.reads("clients", "interactions", "billing")
