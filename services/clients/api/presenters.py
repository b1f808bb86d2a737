"""The clients API's view of the entities: each presenter turns what a use case or a query
returns into the response body (``shared.commands.run_command`` takes one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.api.schemas import (
    AssignmentOut,
    ClientOut,
    ContactOut,
    FileLinkOut,
    FileOut,
    HandoverOut,
    ImportOut,
    ImportOutcomeOut,
    ImportQueuedOut,
    SettingsOut,
    SettingsValuesOut,
    SettingsVersionOut,
    SlaOut,
    StaffOut,
)
from services.clients.domain.imports import progress
from services.clients.handlers.settings import SettingsView
from services.clients.handlers.staff import Handover
from services.clients.policies import ClientPolicies
from services.clients.settings import ClientsSettings
from services.clients.store.models import (
    Assignment,
    Client,
    Contact,
    Import,
    SettingsVersion,
    Staff,
    StoredFile,
)
from shared.lists import Present


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


# The effective SLA's response part per settings object, then per policy versions in force
# and (tier, timezone, country) of the clients without overrides: a page of clients shares a
# handful of them, and building one (merge, then validate the nested model) cost more than
# the rest of the client's presenter. The settings object is kept in the entry, so its id is
# not reused while it is cached.
SlaKey = tuple[int, str | None, int, str, str, str | None]
_SLA_OUTS: dict[int, tuple[ClientsSettings, dict[SlaKey, SlaOut]]] = {}
_SLA_OUTS_MAX = 4096  # entries per settings object before starting again


def sla_out(client: Client, policies: ClientPolicies) -> SlaOut:
    """The client's effective SLA as returned: for a client without overrides of its own (most
    of them), the same instance for the same policy versions, tier, timezone and country (the
    response models are never modified)."""
    department = policies.department_of(client)
    if client.sla_overrides or policies.book is None:
        return SlaOut.model_validate(policies.sla(client, department))
    settings, book = policies.settings, policies.book
    entry = _SLA_OUTS.get(id(settings))
    if entry is None or entry[0] is not settings:
        if len(_SLA_OUTS) > 16:
            _SLA_OUTS.clear()
        entry = _SLA_OUTS[id(settings)] = (settings, {})
    cache = entry[1]
    scope = department if book.document(department) is not None else None
    key = (
        book.version(None),
        scope,
        book.version(scope) if scope else 0,
        client.tier,
        client.timezone,
        client.country,
    )
    found = cache.get(key)
    if found is None:
        if len(cache) >= _SLA_OUTS_MAX:
            cache.clear()
        found = cache[key] = SlaOut.model_validate(policies.sla(client, department))
    return found


def client_out(client: Client, policies: ClientPolicies) -> ClientOut:
    return ClientOut(
        id=client.id,
        external_id=client.external_id,
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
        greetings=client.greetings,
        sla=sla_out(client, policies),
        sla_overrides=dict(client.sla_overrides or {}),
        status_reason=client.status_reason,
        created_at=client.created_at,
        updated_at=client.updated_at,
    )


def assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut.model_validate(assignment, from_attributes=True)


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut.model_validate(contact, from_attributes=True)


def settings_out(found: SettingsView) -> SettingsOut:
    return SettingsOut.model_validate(found, from_attributes=True)


def settings_version_out(row: SettingsVersion) -> SettingsVersionOut:
    return SettingsVersionOut(
        department=row.department or None,
        version=row.version,
        document=SettingsValuesOut.model_validate(row.document),
        changed_fields=list(row.changed_fields or []),
        author_id=row.author_id,
        created_at=row.created_at,
    )


def clients_out(policies: ClientPolicies) -> Present[Client, ClientOut]:
    """The presenter of a page of clients (``shared.lists.sorted_list``): their policies read
    in the page's session, then each client."""

    async def present(session: AsyncSession, items: list[Client]) -> list[ClientOut]:
        await policies.load(session, items)
        return [client_out(client, policies) for client in items]

    return present


def file_out(stored: StoredFile) -> FileOut:
    return FileOut.model_validate(stored, from_attributes=True)


def file_link_out(stored: StoredFile, url: str, expires_at: datetime) -> FileLinkOut:
    return FileLinkOut(
        **file_out(stored).model_dump(), download_url=url, download_expires_at=expires_at
    )


# What a queued import (or one that failed before its rows ran) has done.
NO_OUTCOME = {"created": 0, "updated": 0, "unchanged": 0}


def import_queued_out(found: Import) -> ImportQueuedOut:
    return ImportQueuedOut(id=found.id)


def import_out(found: Import, live: int | None = None) -> ImportOut:
    """The import as stored; ``live``: the rows done by a run of this process not yet
    committed (``handlers.imports.LIVE_PROGRESS``)."""
    done = max(found.processed, live or 0) if found.status == "running" else found.processed
    return ImportOut(
        id=found.id,
        kind=found.kind,
        dry_run=found.dry_run,
        status=found.status,
        progress=progress(done, found.total) if found.status != "queued" else 0.0,
        total_rows=found.total,
        processed_rows=done,
        errors=found.errors,
        outcome=ImportOutcomeOut(**{**NO_OUTCOME, **found.outcome}),
        file_name=found.file_name,
        created_at=found.created_at,
        started_at=found.started_at,
        finished_at=found.finished_at,
    )
