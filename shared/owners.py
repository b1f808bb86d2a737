"""Who owns a document (``/api/v1/files``, kept by the clients service): the client behind an
object of another service.

A file is attached to a client, an interaction, a meeting report, a contract or an invoice
(:data:`OWNER_TYPES`). The clients service records the client the owner belongs to on the file
row and scopes every read through it; for an owner kept by another service it asks that
service (:data:`OWNING_SERVICE`) which client the object belongs to:

- the service in this process (``orbit run``: ``ServiceSpec.owners``, linked by
  ``shared.app``), a read of its database;
- else its internal endpoint ``/internal/v1/owners/{owner_type}/{id}`` (:data:`OWNER_PATH`,
  answering ``{"client_id": ...}`` or 404) at ``ORBIT_INTERACTIONS_URL`` /
  ``ORBIT_BILLING_URL`` (``orbit serve``: :func:`http_owner_lookup`), with a ``service`` token
  as for the read-through and ``ORBIT_OWNER_TIMEOUT_SECONDS``.

An owner that cannot be asked (unreachable, failing, not configured) is
:class:`OwnerServiceUnavailable`: a 503 with ``Retry-After``, never an answer that looks final.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from shared.errors import Unavailable
from shared.readthrough import InternalClient
from shared.settings import OrbitSettings

log = logging.getLogger("orbit.owners")

OwnerType = Literal["client", "interaction", "meeting_report", "contract", "invoice"]
OWNER_TYPES: tuple[OwnerType, ...] = (
    "client",
    "interaction",
    "meeting_report",
    "contract",
    "invoice",
)
# The service keeping each owner but the client (the clients service's own).
OWNING_SERVICE: dict[OwnerType, str] = {
    "interaction": "interactions",
    "meeting_report": "interactions",
    "contract": "billing",
    "invoice": "billing",
}
OWNER_PATH = "/internal/v1/owners/{owner_type}/{id}"

# The client ``id`` of ``owner_type`` belongs to; None when the service does not know it.
OwnerLookup = Callable[[OwnerType, uuid.UUID], Awaitable[uuid.UUID | None]]


class OwnerServiceUnavailable(Unavailable):
    """The service keeping the owner did not answer: 503, retry later."""


def unavailable(owner_type: OwnerType, owner_id: uuid.UUID) -> OwnerServiceUnavailable:
    service = OWNING_SERVICE.get(owner_type, "clients")
    return OwnerServiceUnavailable(
        f"the {service} service cannot be reached to find {owner_type} {owner_id}; retry later"
    )


def http_owner_lookup(
    settings: OrbitSettings, base_url: str
) -> tuple[OwnerLookup, Callable[[], Awaitable[None]]]:
    """The lookup from the service at ``base_url`` (its ``/internal/v1/owners``), and its
    closing."""
    client = InternalClient(settings, base_url)

    async def lookup(owner_type: OwnerType, owner_id: uuid.UUID) -> uuid.UUID | None:
        response = await client.get(
            OWNER_PATH.format(owner_type=owner_type, id=owner_id),
            lambda why: unavailable(owner_type, owner_id),
        )
        return None if response is None else uuid.UUID(str(response.json()["client_id"]))

    return lookup, client.aclose
