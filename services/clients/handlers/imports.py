"""Use cases of imports: queue a file's rows (``POST /api/v1/imports``), then run them in the
background (the ``imports`` worker, ``workers.py``).

Each row goes through the API's own command and use case (``StaffIn``/``StaffPatch`` and
``create_staff``/``update_staff``, and so on) as the caller who queued the import, so an
imported row is validated, scoped and evented exactly like the same call to the API. A row
whose ``external_id`` is known updates that record (its empty cells leave fields as they
are), else it creates one: running a file again creates nothing twice.

All or nothing: every row runs in ONE transaction. A dry run, or a run with any bad row,
rolls it back (nothing written, no event) and reports every bad row; a run without one
commits every row and its events at once.

Contracts and invoices are billing's (``BILLING_KINDS``): the run finds each row's client by
its ``external_id`` here and hands the rows to billing (``shared.imports``: in this process,
or ``POST /internal/v1/imports/{kind}`` at ``ORBIT_BILLING_URL``), which runs them all in one
transaction of its own, as the same caller, and answers every bad row; rows this side
refused make billing's run a dry run, so the file is still all or nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from services.clients.commands import (
    ClientIn,
    ClientPatch,
    ContactIn,
    ContactPatch,
    StaffIn,
    StaffPatch,
)
from services.clients.domain.imports import (
    BILLING_KINDS,
    REFERENCES,
    RowError,
    billing_rows,
    body_of,
    column_of,
    duplicate_keys,
    missing_keys,
)
from services.clients.handlers import clients, contacts, staff
from services.clients.policies import ClientPolicies
from services.clients.settings import ClientsSettings
from services.clients.store import imports as store
from services.clients.store import repository as repo
from services.clients.store.models import Client, Contact, Import, Staff
from shared.auth import Caller, Role
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.imports import KEEPER, ImportRun, ImportUnavailable
from shared.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("orbit.clients.imports")

# Who may import what: staff are the admins' (like POST /staff); heads import the clients
# and contacts of their department's managers.
MAY_IMPORT: dict[str, tuple[Role, ...]] = {
    "staff": (Role.ADMIN,),
    "clients": (Role.ADMIN, Role.HEAD),
    "contacts": (Role.ADMIN, Role.HEAD),
    "contracts": (Role.ADMIN, Role.HEAD),
    "invoices": (Role.ADMIN, Role.HEAD),
}
# The column a Conflict or Forbidden of a kind's use case is about.
CONFLICT_COLUMN = {"staff": "email", "clients": "status", "contacts": "email"}
FORBIDDEN_COLUMN = {"staff": None, "clients": "account_manager_email", "contacts": None}
# The command of each kind to create (False) and to update (True) a record, and its table.
COMMANDS: dict[str, dict[bool, type[BaseModel]]] = {
    "staff": {False: StaffIn, True: StaffPatch},
    "clients": {False: ClientIn, True: ClientPatch},
    "contacts": {False: ContactIn, True: ContactPatch},
}
ENTITIES: dict[str, type[Staff] | type[Client] | type[Contact]] = {
    "staff": Staff,
    "clients": Client,
    "contacts": Contact,
}
# Progress is written for other readers every so many rows (PostgreSQL: SQLite has one
# writer, and the run holds it).
PROGRESS_EVERY = 500
# The rows done of the runs of this process, for GET while the run's transaction is open.
LIVE_PROGRESS: dict[uuid.UUID, int] = {}


async def queue_import(
    uow: UnitOfWork,
    caller: Caller,
    kind: str,
    dry_run: bool,
    file_name: str | None,
    rows: list[dict[str, str]],
) -> Import:
    """The import, queued for the worker (the file read and its header checked already)."""
    caller.require(*MAY_IMPORT[kind])
    found = Import(
        id=uuid.uuid4(),
        kind=kind,
        dry_run=dry_run,
        status="queued",
        caller_id=caller.id,
        caller_role=caller.role.value,
        caller_department=caller.department,
        file_name=(file_name or None) and file_name[:300],
        rows=rows,
        total=len(rows),
        processed=0,
        errors=[],
        outcome={},
        created_at=uow.clock.now(),
    )
    uow.session.add(found)
    await uow.session.flush()
    return found


def problems_of(exc: Exception, number: int, row: Mapping[str, str], kind: str) -> list[RowError]:
    """A use case's refusal of a row as the row's errors."""
    if isinstance(exc, ValidationError):
        return [
            RowError(number, column_of(e["loc"], row), e["msg"])
            for e in exc.errors(include_url=False)
        ]
    if isinstance(exc, Invalid):
        if not exc.errors:
            return [RowError(number, None, exc.detail)]
        return [RowError(number, column_of(e["loc"], row), e["msg"]) for e in exc.errors]
    if isinstance(exc, Conflict):
        return [RowError(number, CONFLICT_COLUMN[kind], exc.detail)]
    if isinstance(exc, Forbidden):
        return [RowError(number, FORBIDDEN_COLUMN[kind], exc.detail)]
    if isinstance(exc, NotFound):
        column = "client_external_id" if kind == "contacts" else "external_id"
        return [RowError(number, column, "not a record you may change (outside your scope)")]
    raise exc


class RowRunner:
    """Runs the rows of one import in one unit of work, as its caller."""

    def __init__(
        self, uow: UnitOfWork, caller: Caller, policies: ClientPolicies, kind: str
    ) -> None:
        self.uow = uow
        self.caller = caller
        self.policies = policies
        self.kind = kind
        self.outcome = {"created": 0, "updated": 0, "unchanged": 0}
        self._staff_ids: dict[str, uuid.UUID] = {}
        self._client_id: uuid.UUID | None = None  # a contact's client (``_target``)
        # external_id -> id of each table, read once (a query per row was a third of a
        # row's statements), the records the run creates added as it goes; the use cases'
        # uniqueness check reads it too (``repo.check_external_id``).
        self._keys: dict[str, dict[str, uuid.UUID]] = {}
        uow.session.info[repo.KNOWN_EXTERNAL_IDS] = self._keys

    async def run(self, number: int, row: Mapping[str, str]) -> list[RowError]:
        """The row's errors (every bad cell the command finds), else the row is run."""
        errors = missing_keys(self.kind, number, row)
        if errors:
            return errors
        body, references, bad = body_of(row)
        errors = [RowError(number, e.column, e.reason) for e in bad]
        errors += await self._resolve(number, body, references)
        try:
            target = await self._target(number, body, references)
            if isinstance(target, RowError):
                return [*errors, target]
            model = COMMANDS[self.kind][target is not None]
            if target is not None:
                body.pop("external_id")
                if self.kind == "clients" and body.get("account_manager_id") is not None:
                    body["assignment_reason"] = "import"
            elif self.kind == "clients" and "status_reason" in body:
                errors.append(
                    RowError(number, "status_reason", "only when a client's status changes")
                )
            try:
                command = model.model_validate(body)
            except ValidationError as exc:
                errors += problems_of(exc, number, row, self.kind)
            if errors:
                return errors
            emitted = len(self.uow.emitted)
            await self._apply(command, target)
        except (Invalid, Conflict, Forbidden, NotFound) as exc:
            return problems_of(exc, number, row, self.kind)
        if target is None:
            self.outcome["created"] += 1
        elif len(self.uow.emitted) > emitted:
            self.outcome["updated"] += 1
        else:
            self.outcome["unchanged"] += 1
        return []

    async def _staff_id(self, email: str) -> uuid.UUID | None:
        key = email.strip().lower()
        if key not in self._staff_ids:
            found = await repo.staff_by_email(self.uow.session, key)
            if found is None:
                return None
            self._staff_ids[key] = found.id
        return self._staff_ids[key]

    async def _resolve(
        self, number: int, body: dict[str, Any], references: Mapping[str, str]
    ) -> list[RowError]:
        """The ``*_email`` cells as the ids the command takes."""
        errors = []
        for column, field in REFERENCES.items():
            if column in references:
                found = await self._staff_id(references[column])
                if found is None:
                    errors.append(RowError(number, column, "no member of staff has this email"))
                else:
                    body[field] = found
        return errors

    async def _key(self, table: str, key: str) -> uuid.UUID | None:
        if table not in self._keys:
            self._keys[table] = await repo.external_ids(self.uow.session, ENTITIES[table])
        if self.kind not in self._keys:  # the table the use cases check
            self._keys[self.kind] = await repo.external_ids(self.uow.session, ENTITIES[self.kind])
        return self._keys[table].get(key)

    async def _target(
        self, number: int, body: Mapping[str, Any], references: Mapping[str, str]
    ) -> uuid.UUID | RowError | None:
        """The id of the record the row updates (None: it creates one), or why it cannot
        be run."""
        existing = await self._key(self.kind, body["external_id"])
        if self.kind != "contacts":
            return existing
        client_id = await self._key("clients", references["client_external_id"])
        if client_id is None:
            return RowError(number, "client_external_id", "no client has this external_id")
        self._client_id = client_id
        if existing is not None:
            contact = await self.uow.session.get(Contact, existing)
            if contact is None or contact.client_id != client_id:
                return RowError(number, "client_external_id", "the contact is another client's")
        return existing

    async def _apply(self, command: Any, target: uuid.UUID | None) -> None:
        """The API's use case with the validated command."""
        uow, caller, policies = self.uow, self.caller, self.policies
        created: Staff | Client | Contact
        if self.kind == "staff":
            if target is not None:
                await staff.update_staff(uow, caller, target, command, policies)
                return
            created = await staff.create_staff(uow, caller, command)
        elif self.kind == "clients":
            if target is not None:
                await clients.update_client(uow, caller, target, command, policies)
                return
            created = await clients.create_client(uow, caller, command, policies)
        else:
            if target is not None:
                await contacts.update_contact(uow, caller, target, command)
                return
            assert self._client_id is not None
            created = await contacts.create_contact(uow, caller, self._client_id, command)
        self._keys[self.kind][command.external_id] = created.id


async def caller_of(uow: UnitOfWork, found: Import) -> Caller:
    """Who queued the import, as they are now (a member of staff's record wins over the
    role they had then; a deactivated one imports nothing)."""
    record = await repo.load_staff_record(uow.session, found.caller_id)
    if record is None:
        return Caller(found.caller_id, Role(found.caller_role), found.caller_department)
    if not record.active:
        raise Forbidden("the member of staff who queued the import is no longer active")
    caller = Caller(record.id, Role(record.role), record.department)
    caller.require(*MAY_IMPORT[found.kind])
    return caller


async def run_elsewhere(
    uow: UnitOfWork,
    caller: Caller,
    found: Import,
    rows: list[dict[str, str]],
    importers: Mapping[str, ImportRun],
) -> tuple[list[RowError], dict[str, int]]:
    """The rows of a kind another service keeps, run there (module docstring): every bad
    row (found here or there) and what the run did (or, dry, would do)."""
    sent, errors = billing_rows(found.kind, rows, await repo.external_ids(uow.session, Client))
    keeper = KEEPER[found.kind]
    run = importers.get(keeper)
    if run is None:
        why = f"the {keeper} service is not reachable from here (ORBIT_BILLING_URL)"
        return [*errors, RowError(0, None, why)], {}
    request = {
        "caller": {
            "id": str(caller.id),
            "role": caller.role.value,
            "department": caller.department,
        },
        "dry_run": found.dry_run or bool(errors),
        "rows": sent,
    }
    try:
        answer = await run(found.kind, request)
    except ImportUnavailable as exc:
        log.warning("import %s: %s unavailable: %s", found.id, keeper, exc)
        return [*errors, RowError(0, None, f"the {keeper} service did not answer; retry")], {}
    errors += [RowError(e["row"], e["column"], e["reason"]) for e in answer["errors"]]
    return errors, {k: int(v) for k, v in answer["outcome"].items()}


async def run_import(
    uow_factory: UnitOfWorkFactory,
    import_id: uuid.UUID,
    settings: ClientsSettings,
    importers: Mapping[str, ImportRun] | None = None,
) -> Import:
    """Run a claimed import's rows (module docstring) and record its outcome;
    ``importers``: the runtime's ways to the services keeping the other kinds."""
    async with uow_factory() as uow:
        found = await uow.session.get(Import, import_id)
        if found is None:
            raise NotFound(f"import {import_id} not found")
        rows, kind = list(found.rows), found.kind
        errors: list[RowError] = []
        outcome: dict[str, int] = {}
        try:
            caller = await caller_of(uow, found)
        except Forbidden as exc:
            errors.append(RowError(0, None, exc.detail))
        else:
            try:
                if kind in BILLING_KINDS:
                    more, outcome = await run_elsewhere(uow, caller, found, rows, importers or {})
                    errors += more
                else:
                    runner = RowRunner(uow, caller, ClientPolicies(settings), kind)
                    errors += await run_rows(uow_factory, uow, runner, import_id, rows)
                    outcome = runner.outcome
            except Exception as exc:  # a fault of the database, not of a row
                log.exception("import %s stopped", import_id)
                errors.append(RowError(0, None, f"the import stopped: {type(exc).__name__}"))
        uow.session.info.pop(repo.KNOWN_EXTERNAL_IDS, None)
        commit = not errors and not found.dry_run
        if not commit:
            await uow.session.rollback()
            uow.emitted = []
            found = await uow.session.get(Import, import_id, populate_existing=True)
            assert found is not None
        found.status = "failed" if errors else "succeeded"
        found.errors = [e.as_dict() for e in sorted(errors, key=lambda e: e.row)]
        found.outcome = outcome
        found.processed = len(rows)
        found.rows = []
        found.finished_at = uow.clock.now()
        await uow.commit()
        LIVE_PROGRESS.pop(import_id, None)
        return found


async def run_rows(
    uow_factory: UnitOfWorkFactory,
    uow: UnitOfWork,
    runner: RowRunner,
    import_id: uuid.UUID,
    rows: list[dict[str, str]],
) -> list[RowError]:
    """Every row through ``runner`` (a row repeating an earlier row's key is an error, not
    run), the progress published as it goes."""
    errors = duplicate_keys(rows)
    repeated = {e.row for e in errors}
    shared_progress = uow.session.get_bind().dialect.name == "postgresql"
    for number, row in enumerate(rows, start=1):
        if row and number not in repeated:
            errors += await runner.run(number, row)
        LIVE_PROGRESS[import_id] = number
        if shared_progress and number % PROGRESS_EVERY == 0:
            async with uow_factory() as progress:
                await store.set_processed(progress.session, import_id, number)
                await progress.commit()
    return errors


async def run_queued_imports(
    uow_factory: UnitOfWorkFactory,
    settings: ClientsSettings,
    importers: Mapping[str, ImportRun] | None = None,
) -> int:
    """Claim and run the queued imports one after the other; how many ran."""
    ran = 0
    while True:
        async with uow_factory() as uow:
            claimed = await store.claim_next(uow.session, uow.clock.now())
            claimed_id = None if claimed is None else claimed.id
            await uow.commit()
        if claimed_id is None:
            return ran
        await run_import(uow_factory, claimed_id, settings, importers)
        ran += 1
