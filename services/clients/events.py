"""Events the clients service publishes (topic ``orbit.clients``, key = client id).

They carry the full current state another service needs to keep its replica without calling
back (event-carried state transfer). Frozen; a breaking change is a new ``...V2``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from services.clients.domain.contacts import ContactRole
from services.clients.domain.kind import ClientKind
from services.clients.domain.sla import Tier
from services.clients.domain.status import ClientStatus
from shared.messaging.envelope import Event
from shared.values import StaffRole


class CalendarV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    timezone: str
    working_hours: Literal["24x7"] | dict[str, list[str]]
    holidays_country: str | None


class SlaV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_response_minutes: int
    contact_cadence_days: int
    meeting_report_hours: int
    calendar: CalendarV1


class StaffSnapshot(Event):
    KEY_FIELD: ClassVar[str] = "staff_id"

    staff_id: uuid.UUID
    name: str
    email: str
    role: StaffRole
    department: str | None
    head_id: uuid.UUID | None
    timezone: str
    locale: str | None
    active: bool
    # Who made the change (null: the system, or an event from before it was added).
    actor_id: uuid.UUID | None = None
    # Added to the published v1s (so optional in their schemas): always sent.
    title: str | None = None


class StaffCreatedV1(StaffSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.staff.created.v1"


class StaffUpdatedV1(StaffSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.staff.updated.v1"

    changed: list[str]


class ClientContactV1(BaseModel):
    """One of the client's contacts, as a client event carries it."""

    model_config = ConfigDict(frozen=True)

    contact_id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    roles: list[ContactRole]
    preferred_channel: str | None
    # BCP 47, the language of emails to the contact (added later: optional).
    locale: str | None = None
    # Added later (optional): their greetings (notifications) need it.
    birthday: str | None = None  # "YYYY-MM-DD", or "--MM-DD" when the year is not known


class ClientSnapshot(Event):
    """A client's whole state, with its account manager's department and head, and its
    contacts (so a replica that starts late still learns them).

    ``head_id`` is the head responsible for escalations about the client: the account
    manager's own head (their ``head_id``); when the account manager is a head with no head
    above, that head themself; null without a manager or when the manager reports to no head.
    It matches a head's access scope (their reports' clients and their own). ``status_reason``
    is why the client has its status (set when churned, else null)."""

    client_id: uuid.UUID
    name: str
    kind: ClientKind
    tier: Tier
    status: ClientStatus
    account_manager_id: uuid.UUID | None
    account_manager_department: str | None
    head_id: uuid.UUID | None
    segment: str | None
    tags: list[str]
    country: str | None
    timezone: str
    sla: SlaV1
    created_at: datetime
    updated_at: datetime
    contacts: list[ClientContactV1] = []
    status_reason: str | None = None
    # BCP 47, the language of emails to the client's contacts (added later: optional).
    locale: str | None = None
    # Who made the change (null: the system — e.g. a policy change re-stating the client's
    # SLA names its author — or an event from before it was added).
    actor_id: uuid.UUID | None = None
    # The contacts get greetings by email (the manager's choice; added later: optional).
    greetings: bool = False


class ClientCreatedV1(ClientSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.client.created.v1"


class ClientUpdatedV1(ClientSnapshot):
    """``changed``: the fields that changed (``sla`` when the client's effective SLA changed,
    e.g. by a change of the policies in force), by ``actor_id``."""

    TYPE: ClassVar[str] = "orbit.clients.client.updated.v1"

    changed: list[str]


class ClientAssignedV1(ClientSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.client.assigned.v1"

    from_manager_id: uuid.UUID | None
    to_manager_id: uuid.UUID
    reason: str | None


class ClientStatusChangedV1(ClientSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.client.status_changed.v1"

    old_status: ClientStatus
    new_status: ClientStatus
    reason: str | None


class ContactSnapshot(Event):
    """A contact's whole state, with its client's account manager, the manager's department
    and ``head_id``: the head responsible for escalations, as in the client events (the
    manager's head; a head with no head above themself; else null)."""

    contact_id: uuid.UUID
    client_id: uuid.UUID
    account_manager_id: uuid.UUID | None
    name: str
    email: str | None
    phone: str | None
    position: str | None
    roles: list[ContactRole]
    birthday: str | None
    preferred_channel: str | None
    account_manager_department: str | None = None
    head_id: uuid.UUID | None = None
    # BCP 47, the language of emails to the contact (added later: optional).
    locale: str | None = None
    # Who made the change (null: an event from before it was added).
    actor_id: uuid.UUID | None = None


class ContactCreatedV1(ContactSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.contact.created.v1"


class ContactUpdatedV1(ContactSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.contact.updated.v1"


class ContactDeletedV1(ContactSnapshot):
    TYPE: ClassVar[str] = "orbit.clients.contact.deleted.v1"


class ContactBirthdayUpcomingV1(Event):
    """A contact's birthday is coming up, for the client's account manager; ``head_id`` is the
    head responsible for escalations, as in the client events (the manager's head; a head with
    no head above themself; else null)."""

    TYPE: ClassVar[str] = "orbit.clients.contact.birthday_upcoming.v1"

    contact_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    account_manager_id: uuid.UUID | None
    name: str
    email: str | None
    roles: list[ContactRole]
    # The day it is celebrated (29 Feb falls on 28 Feb in common years), the days until
    # then in the client's timezone, and the age reached (when the year of birth is known).
    birthday: date
    days_ahead: int
    age: int | None
    account_manager_department: str | None = None
    head_id: uuid.UUID | None = None


class SettingsChangedV1(Event):
    """A settings document changed (``PUT /api/v1/settings``): the global one (``department``
    null) or a department's. ``values`` is the document as stored: the fields it sets; a
    field it leaves out is inherited (a department's from the global document, the global
    document's from each service's own defaults), so a service keeping a copy
    (``shared/policy_replica.py``) merges them as the clients service does
    (``shared.policies.overlay``). ``changed_fields``: the fields whose value in force changed."""

    TYPE: ClassVar[str] = "orbit.clients.settings.changed.v1"
    KEY_FIELD: ClassVar[str] = "scope"

    scope: str  # "global" or "department:<name>", the Kafka key: a scope's changes in order
    department: str | None
    version: int
    values: dict[str, Any]
    changed_fields: list[str]
    actor_id: uuid.UUID | None
    changed_at: datetime
