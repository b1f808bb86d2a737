"""The query parameters that narrow the feed and the delivery log to a client, an event type
and a severity (``?client_id=&type=&severity=``), one dependency for every list that takes
them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query

from services.notifications.domain.catalog import NotificationType, Severity
from shared.deps import query_params


class About:
    """``?client_id=&type=&severity=``: entries about that client, of that event type, of
    that severity (each optional)."""

    def __init__(
        self,
        client_id: Annotated[
            uuid.UUID | None, Query(description="only those about this client")
        ] = None,
        type: Annotated[
            NotificationType | None, Query(description="only those of this event type")
        ] = None,
        severity: Annotated[
            Severity | None, Query(description="only those of this severity")
        ] = None,
    ) -> None:
        self.client_id = client_id
        self.type = type
        self.severity = severity

    def as_filter(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "type": self.type, "severity": self.severity}


AboutDep = Annotated[About, Depends(query_params(About))]
