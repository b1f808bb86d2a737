from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    severity: str
    title: str
    body: str
    client_id: uuid.UUID | None
    event_id: uuid.UUID
    created_at: datetime
    read_at: datetime | None
    acked_at: datetime | None
