"""Events the notifications service publishes (topic ``orbit.notifications``, key = client
id). Frozen; a breaking change is a new ``...V2``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from services.notifications.domain.catalog import Severity
from shared.messaging.envelope import Event


class AlertEscalatedV1(Event):
    """An alert nobody acknowledged within its rule's ``escalate_after`` went one step up the
    reporting line: from ``from_staff_id`` to ``to_staff_id`` (their head), ``level`` 1 for
    the manager's head, 2 for that head's head, and so on. Once per alert and person."""

    TYPE: ClassVar[str] = "orbit.notifications.alert.escalated.v1"

    client_id: uuid.UUID
    alert_event_id: uuid.UUID  # the event that raised the alert
    alert_type: str
    severity: Severity
    title: str
    level: int
    from_staff_id: uuid.UUID
    to_staff_id: uuid.UUID
    notification_id: uuid.UUID  # the entry that was not acknowledged in time
    escalate_after: str
    escalated_at: datetime
