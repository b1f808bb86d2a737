"""Who answers for a client above its account manager."""

from __future__ import annotations

import uuid

HEAD_ROLE = "head"


def responsible_head(
    manager_id: uuid.UUID | None, manager_role: str | None, manager_head_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The head responsible for escalations about a client: its account manager's head
    (``head_id``); a head with no head above answers for their own clients themself; ``None``
    for a client without a manager, or whose manager reports to no head.

    The same team a head's access scope covers (``client_scope`` in the clients repository
    and in ``shared/replicas.py``): the clients of the staff whose ``head_id`` is the head,
    and the head's own clients."""
    if manager_id is None:
        return None
    if manager_head_id is not None:
        return manager_head_id
    return manager_id if manager_role == HEAD_ROLE else None
