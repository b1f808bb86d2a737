"""The state the clients service's events carry (event-carried state transfer): a member of
staff, a client with its SLA, its account manager's team and its contacts, a contact with its
client's manager. The use cases (``handlers/``) and the scans (``workers.py``) build their
events from these."""

from __future__ import annotations

import uuid
from typing import Any

from services.clients.domain.team import responsible_head
from services.clients.policies import ClientPolicies
from services.clients.store import repository as repo
from services.clients.store.models import Client, Contact, Staff
from shared.readthrough import Kind
from shared.uow import UnitOfWork


def staff_event_fields(staff: Staff) -> dict[str, Any]:
    return {
        "staff_id": staff.id,
        "name": staff.name,
        "email": staff.email,
        "role": staff.role,
        "department": staff.department,
        "head_id": staff.head_id,
        "timezone": staff.timezone,
        "locale": staff.locale,
        "title": staff.title,
        "active": staff.active,
    }


async def client_sla(
    uow: UnitOfWork, client: Client, policies: ClientPolicies, manager: Staff | None = None
) -> dict[str, Any]:
    """The client's effective SLA: its tier's defaults in its account manager's department
    (``manager``, read when not given), overridden by its own settings."""
    await policies.ready(uow.session)
    if manager is None:
        manager = await account_manager(uow, client)
    department = None if manager is None else manager.department
    if manager is not None:
        policies.departments[manager.id] = department
    return policies.sla(client, department)


def manager_team(manager: Staff | None) -> dict[str, Any]:
    """What events about a client carry of its account manager's team: the department, and
    the head responsible for escalations (``domain/team.py: responsible_head``)."""
    if manager is None:
        return {"account_manager_department": None, "head_id": None}
    return {
        "account_manager_department": manager.department,
        "head_id": responsible_head(manager.id, manager.role, manager.head_id),
    }


async def account_manager(uow: UnitOfWork, client: Client) -> Staff | None:
    if client.account_manager_id is None:
        return None
    return await repo.get_staff(uow.session, client.account_manager_id)


async def client_snapshot(
    uow: UnitOfWork, client: Client, policies: ClientPolicies, *, new: bool = False
) -> dict[str, Any]:
    """The state a client event carries: the client, its SLA and its manager's team (a
    ``new`` client has no contacts yet: not queried)."""
    contacts = [] if new else await repo.contacts_of_client(uow.session, client.id)
    manager = await account_manager(uow, client)
    return {
        "client_id": client.id,
        "name": client.name,
        "kind": client.kind,
        "tier": client.tier,
        "status": client.status,
        "status_reason": client.status_reason,
        "account_manager_id": client.account_manager_id,
        **manager_team(manager),
        "segment": client.segment,
        "tags": list(client.tags or []),
        "country": client.country,
        "timezone": client.timezone,
        "locale": client.locale,
        "greetings": client.greetings,
        "sla": await client_sla(uow, client, policies, manager),
        "created_at": client.created_at,
        "updated_at": client.updated_at,
        "contacts": [
            {
                "contact_id": c.id,
                "name": c.name,
                "email": c.email,
                "phone": c.phone,
                "roles": list(c.roles or []),
                "preferred_channel": c.preferred_channel,
                "locale": c.locale,
                "birthday": c.birthday,
            }
            for c in contacts
        ],
    }


async def contact_snapshot(uow: UnitOfWork, contact: Contact, client: Client) -> dict[str, Any]:
    """The state a contact event carries: the contact, its client's manager and their team."""
    return {
        "contact_id": contact.id,
        "client_id": contact.client_id,
        "account_manager_id": client.account_manager_id,
        **manager_team(await account_manager(uow, client)),
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "position": contact.position,
        "roles": list(contact.roles or []),
        "birthday": contact.birthday,
        "preferred_channel": contact.preferred_channel,
        "locale": contact.locale,
    }


def staff_state(staff: Staff) -> dict[str, Any]:
    """A member of staff as the replica read-through answers it: as its events carry it,
    plus the version (``updated_at``) the replica writes it as."""
    return {**staff_event_fields(staff), "updated_at": staff.updated_at}


async def replica_snapshot(
    uow: UnitOfWork, kind: Kind, object_id: uuid.UUID, policies: ClientPolicies
) -> dict[str, Any] | None:
    """``{"client": <as its events carry it, contacts included>, "manager": <staff> | null}``
    or ``{"staff": <as its events carry it>}``, each with ``updated_at``; None when the id is
    unknown (``api/replicas.py`` answers it)."""
    if kind == "staff":
        staff = await repo.get_staff(uow.session, object_id)
        return None if staff is None else {"staff": staff_state(staff)}
    client = await uow.session.get(Client, object_id)
    if client is None:
        return None
    manager = await account_manager(uow, client)
    return {
        "client": await client_snapshot(uow, client, policies),
        "manager": None if manager is None else staff_state(manager),
    }
