"""The clients API's view of the entities: each presenter turns what a use case or a query
returns into the response body (``shared.commands.run_command`` takes one)."""

from __future__ import annotations

from services.clients.api.schemas import (
    AssignmentOut,
    ClientOut,
    ContactOut,
    HandoverOut,
    SlaOut,
    StaffOut,
)
from services.clients.handlers.staff import Handover
from services.clients.settings import ClientsSettings
from services.clients.snapshots import client_sla
from services.clients.store.models import Assignment, Client, Contact, Staff


def staff_out(staff: Staff) -> StaffOut:
    return StaffOut.model_validate(staff, from_attributes=True)


def handover_out(done: Handover) -> HandoverOut:
    return HandoverOut(
        from_manager_id=done.from_manager_id,
        to_manager_id=done.to_manager_id,
        reason=done.reason,
        moved=len(done.client_ids),
        client_ids=done.client_ids,
    )


def client_out(client: Client, settings: ClientsSettings) -> ClientOut:
    return ClientOut(
        id=client.id,
        name=client.name,
        kind=client.kind,
        tier=client.tier,
        status=client.status,
        account_manager_id=client.account_manager_id,
        segment=client.segment,
        tags=list(client.tags or []),
        country=client.country,
        timezone=client.timezone,
        locale=client.locale,
        sla=SlaOut.model_validate(client_sla(client, settings)),
        sla_overrides=dict(client.sla_overrides or {}),
        status_reason=client.status_reason,
        created_at=client.created_at,
        updated_at=client.updated_at,
    )


def assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut.model_validate(assignment, from_attributes=True)


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut.model_validate(contact, from_attributes=True)
