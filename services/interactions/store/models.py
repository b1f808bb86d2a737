"""Tables of the interactions service (its own database), besides the platform tables and the
replicas of the clients service's staff and clients (`shared.replicas`)."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = MetaData()
