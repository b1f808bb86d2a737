"""Use cases of a client's contacts: create, update, delete (each locks the client first)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from services.clients.commands import ContactIn, ContactPatch
from services.clients.domain.birthdays import Birthday, BirthdayError, parse_birthday
from services.clients.domain.contacts import (
    InvalidPhone,
    channel_problem,
    normalize_phone,
    normalize_roles,
)
from services.clients.events import ContactCreatedV1, ContactDeletedV1, ContactUpdatedV1
from services.clients.handlers import trail
from services.clients.snapshots import contact_snapshot
from services.clients.store import repository as repo
from services.clients.store.models import Client, Contact
from shared.auth import Caller
from shared.clock import local_date
from shared.errors import Conflict, Invalid
from shared.uow import UnitOfWork

# The fields a contact is created and patched with (its audited fields but its client).
CONTACT_FIELDS = trail.CONTACT_FIELDS[1:]


def _client_today(client: Client, now: datetime) -> date:
    return local_date(now, client.timezone)


async def _contact_values(
    uow: UnitOfWork, client: Client, values: dict[str, Any], contact_id: uuid.UUID | None
) -> dict[str, Any]:
    """Validate and normalise a contact's fields (all of them, after a patch is applied)."""
    out = dict(values)
    await repo.check_external_id(uow.session, Contact, out.get("external_id"), contact_id)
    if out.get("email"):
        out["email"] = str(out["email"]).lower()
        other = await repo.contact_by_email(uow.session, client.id, out["email"])
        if other is not None and other.id != contact_id:
            raise Conflict(f"{client.name} already has a contact with email {out['email']}")
    else:
        out["email"] = None
    if out.get("phone"):
        try:
            out["phone"] = normalize_phone(out["phone"], client.country)
        except InvalidPhone as exc:
            raise Invalid.field("phone", str(exc)) from exc
    else:
        out["phone"] = None
    out["roles"] = normalize_roles(out.get("roles") or [])
    out["position"] = out.get("position") or None
    out["locale"] = out.get("locale") or None
    birthday: Birthday | None = None
    if out.get("birthday"):
        try:
            birthday = parse_birthday(out["birthday"], _client_today(client, uow.clock.now()))
        except BirthdayError as exc:
            raise Invalid.field("birthday", str(exc)) from exc
    out["birthday"] = str(birthday) if birthday else None
    out["birthday_md"] = birthday.month_day if birthday else None
    problem = channel_problem(out.get("preferred_channel"), out["email"], out["phone"])
    if problem:
        raise Invalid.field("preferred_channel", problem)
    return out


async def create_contact(
    uow: UnitOfWork, caller: Caller, client_id: uuid.UUID, data: ContactIn
) -> Contact:
    client = await repo.get_client(uow.session, caller, client_id, for_update=True)
    values = await _contact_values(uow, client, data.model_dump(), None)
    now = uow.clock.now()
    contact = Contact(
        id=uuid.uuid4(), client_id=client.id, created_at=now, updated_at=now, **values
    )
    uow.session.add(contact)
    await uow.session.flush()
    await repo.set_contact_roles(uow.session, contact)
    await trail.created(uow, caller, "contact", contact, trail.CONTACT_FIELDS)
    await uow.emit(
        ContactCreatedV1(**await contact_snapshot(uow, contact, client), actor_id=caller.id)
    )
    return contact


async def _locked_contact(
    uow: UnitOfWork, caller: Caller, contact_id: uuid.UUID
) -> tuple[Contact, Client]:
    """The contact and its client for a change: the client row locked first (as by every use
    case emitting events of that client, so they reach the outbox in commit order), then the
    contact read under that lock."""
    client = await repo.get_client_of_contact(uow.session, caller, contact_id, for_update=True)
    contact = await repo.get_contact(uow.session, caller, contact_id, for_update=True)
    return contact, client


async def update_contact(
    uow: UnitOfWork, caller: Caller, contact_id: uuid.UUID, data: ContactPatch
) -> Contact:
    contact, client = await _locked_contact(uow, caller, contact_id)
    current = {name: getattr(contact, name) for name in (*CONTACT_FIELDS, "external_id")}
    values = await _contact_values(
        uow, client, current | data.model_dump(exclude_unset=True), contact.id
    )
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    if not changed:
        return contact
    before = trail.state(contact, trail.CONTACT_FIELDS)
    for name in changed:
        setattr(contact, name, values[name])
    contact.updated_at = uow.clock.now()
    await uow.session.flush()
    if "roles" in changed:
        await repo.set_contact_roles(uow.session, contact)
    await trail.changed(uow, caller, "contact", contact, before, trail.CONTACT_FIELDS)
    await uow.emit(
        ContactUpdatedV1(**await contact_snapshot(uow, contact, client), actor_id=caller.id)
    )
    return contact


async def delete_contact(uow: UnitOfWork, caller: Caller, contact_id: uuid.UUID) -> None:
    contact, client = await _locked_contact(uow, caller, contact_id)
    snapshot = await contact_snapshot(uow, contact, client)
    await trail.deleted(uow, caller, "contact", contact, trail.CONTACT_FIELDS[1:])
    await uow.session.delete(contact)
    await uow.session.flush()
    await uow.emit(ContactDeletedV1(**snapshot, actor_id=caller.id))
