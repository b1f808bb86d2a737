"""/internal/v1/owners: which client one of this service's objects belongs to, for the
documents the clients service keeps (``shared.owner_routes``)."""

from __future__ import annotations

from services.interactions.api.deps import RuntimeDep
from services.interactions.store.owners import OWNER_QUERIES
from shared.owner_routes import owner_lookup, owners_router

router = owners_router(OWNER_QUERIES, RuntimeDep)
# The clients service's lookup when it runs in this process (``orbit run``).
lookup = owner_lookup(OWNER_QUERIES)
