"""Tables of the clients service (its own database)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import JSONType, UTCDateTime
from shared.pagination import SortKey, Sorts, sort_indexes


class Base(DeclarativeBase):
    metadata = MetaData()


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The key of the record in the system it was imported from (``/api/v1/imports``).
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    head_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("staff.id"))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))
    # Their job title, as clients read it under their name in Orbit's emails.
    title: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        # The portfolio of a scope (counts by status and tier, key clients, clients without a
        # decision maker) read from the index alone: a head's ~10% of the clients without
        # reading the table.
        Index(
            "ix_clients_manager_portfolio",
            "account_manager_id",
            "tier",
            "status",
            "name_lower",
            "id",
            "name",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_lower: Mapped[str] = mapped_column(Text, index=True)  # "İ".lower() is 2 chars
    kind: Mapped[str] = mapped_column(String(10))
    tier: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff.id"), index=True
    )
    segment: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    # BCP 47: the language of emails to the client's contacts (a contact's own wins).
    locale: Mapped[str | None] = mapped_column(String(35))
    # The manager's choice: the contacts get Orbit's greetings (birthdays, the holidays of
    # the manager's department). Off by default.
    greetings: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    timezone: Mapped[str] = mapped_column(String(64))
    sla_overrides: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientTag(Base):
    """One row per tag of a client, so lists filter by tag in SQL on both databases."""

    __tablename__ = "client_tags"

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class Assignment(Base):
    """One row per change of a client's account manager (the first assignment included)."""

    __tablename__ = "client_assignments"
    __table_args__ = (Index("ix_client_assignments_client", "client_id", "assigned_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"))
    from_manager_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("staff.id"))
    to_manager_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    # Who did it (an admin token needs no staff record, so no foreign key).
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("client_id", "email", name="uq_contacts_client_email"),
        Index("ix_contacts_client", "client_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # "YYYY-MM-DD" or "--MM-DD"; birthday_md = month * 100 + day, to find birthdays near.
    birthday: Mapped[str | None] = mapped_column(String(10))
    birthday_md: Mapped[int | None] = mapped_column(Integer, index=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRoleIndex(Base):
    """One row per role of a contact, so "clients without a decision maker" is plain SQL."""

    __tablename__ = "contact_roles"
    __table_args__ = (Index("ix_contact_roles_role_client", "role", "client_id"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"))


class SettingsVersion(Base):
    """One version of a settings document (``/api/v1/settings``): the global one
    (``department`` empty) or a department's; the highest version is in force. Appended,
    never changed."""

    __tablename__ = "settings_versions"

    department: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changed_fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# ---------------------------------------------------------------- the lists' sorts
# The fields each list sorts by (``?sort=``, ``shared.pagination.Sorts``), each with an
# index on (its key, id) so a sorted page reads the index (the migration
# ``2026_12_06_d8a4c2e6f0b1_list_sorts`` creates the same expressions). A client's name
# sorts by ``name_lower`` (lower-cased as Python does, the same on both databases), in the
# database's collation.

CLIENT_SORTS = Sorts(
    Client.id,
    "created_at",
    created_at=SortKey(Client.created_at),
    updated_at=SortKey(Client.updated_at),
    name=SortKey(Client.name_lower),
    tier=SortKey(Client.tier),
    status=SortKey(Client.status),
)
STAFF_SORTS = Sorts(
    Staff.id,
    "created_at",
    created_at=SortKey(Staff.created_at),
    name=SortKey(Staff.name, "text"),
)
CONTACT_SORTS = Sorts(
    Contact.id,
    "created_at",
    created_at=SortKey(Contact.created_at),
    name=SortKey(Contact.name, "text"),
)
sort_indexes(CLIENT_SORTS, STAFF_SORTS, CONTACT_SORTS)


class StoredFile(Base):
    """A document (``/api/v1/files``): its metadata; its bytes are the object ``storage_key``
    in the object store (shared/files.py). ``client_id`` is the client its owner belongs to,
    resolved at upload: every read is scoped through it."""

    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_owner", "owner_type", "owner_id", "created_at", "id"),
        Index("ix_files_client", "client_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    # Who uploaded it (an admin token needs no staff record, so no foreign key).
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Import(Base):
    """One import (``POST /api/v1/imports``): the file's rows as read (column names mapped)
    until the job has run them, then its outcome. Queued by the route, run by the
    ``imports`` worker (``workers.py``)."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_status", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    # Who asked: the job runs the rows as them (their role and scope).
    caller_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    caller_role: Mapped[str] = mapped_column(String(20))
    caller_department: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(300))
    # The rows to run (``{column: text}``, empty cells left out); emptied once run.
    rows: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    total: Mapped[int] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # created / updated / unchanged counts of a run (what a dry run would do).
    outcome: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
