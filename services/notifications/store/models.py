"""Tables of the notifications service, besides the platform tables and the replicas."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, MetaData, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Notification(Base):
    """One entry of a staff member's in-app feed; one per (recipient, event)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "event_id", name="uq_notifications_recipient_event"),
        Index("ix_notifications_feed", "recipient_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
