"""Imports of contracts and open invoices: the rows of an import the clients service runs
(``shared.imports``), each its client found there already, run here as the import's author.

Each row goes through the API's own commands and use cases (``ContractIn``/``ContractPatch``
and ``create_contract``/``update_contract``; ``InvoiceIn`` + ``IssueIn`` and
``create_invoice`` then ``issue_invoice``), so an imported row is validated, scoped (the
row's client must be one the author may see), audited and evented (``contract.created``,
``invoice.issued``, ...) exactly like the same calls to the API; the rows that only create
are checked by the use cases' own parts and written at once (:class:`RowRunner`), the
others run their use case one by one. Upserts by ``external_id``:
a known contract is patched with the row's cells (nothing changed: nothing written), a known
invoice is left as it is when the row agrees with it and refused where it does not (an
issued invoice's lines and dates are frozen; its ``amount_paid`` is read at creation only).
Running a file again creates nothing twice.

All or nothing: every row runs in ONE unit of work; a dry run, or any bad row, rolls it
back (nothing written, no event) and every bad row is answered."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError

from services.billing.commands import ContractIn, ContractPatch, InvoiceIn, IssueIn
from services.billing.domain import dunning
from services.billing.domain.imports import (
    RowError,
    amount_paid,
    changed_columns,
    column_of,
    contract_body,
    contract_patch,
    invoice_bodies,
    missing_cells,
    one_per_column,
    row_error,
    same_day,
)
from services.billing.handlers.common import client_today, require_staff
from services.billing.handlers.contracts import (
    contract_changes,
    create_contracts,
    duplicate_number,
    new_contract,
    update_contract,
)
from services.billing.handlers.invoices import (
    create_invoice,
    dunning_terms,
    issue_drafts,
    issue_invoice,
    issued_values,
    needs_one_by_one,
    paid_before,
    priced_draft,
)
from services.billing.settings import BillingSettings
from services.billing.store import imports as store
from services.billing.store.clients import get_client
from services.billing.store.models import Allocation, Contract, Invoice
from services.billing.store.payments import credit_balances
from shared.auth import Caller, Role
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.inputs import In
from shared.money import MoneyError
from shared.replicas import ClientView
from shared.uow import UnitOfWork, UnitOfWorkFactory

KINDS = ("contracts", "invoices")
Command = TypeVar("Command", bound=In)
# The column a Conflict of a kind's use case is about (a contract's number taken, an
# invoice that cannot be issued).
CONFLICT_COLUMN = {"contracts": "number", "invoices": None}
OUT_OF_SCOPE = "not a client you may import for (outside your scope)"
ANOTHER_CLIENT = "imported before for another client"


def caller_of(asked: Mapping[str, Any]) -> Caller:
    """The import's author as the clients service sent them."""
    return Caller(uuid.UUID(str(asked["id"])), Role(asked["role"]), asked.get("department"))


def problems_of(exc: Exception, number: int, kind: str) -> list[RowError]:
    """A command's or use case's refusal of a row as the row's errors."""
    if isinstance(exc, ValidationError):
        return [
            row_error(number, column_of(kind, e["loc"]), e["msg"])
            for e in exc.errors(include_url=False)
        ]
    if isinstance(exc, Invalid):
        if not exc.errors:
            return [row_error(number, None, exc.detail)]
        return [row_error(number, column_of(kind, e["loc"]), e["msg"]) for e in exc.errors]
    if isinstance(exc, Conflict):
        return [row_error(number, CONFLICT_COLUMN[kind], exc.detail)]
    if isinstance(exc, Forbidden):
        return [row_error(number, None, exc.detail)]
    if isinstance(exc, NotFound):
        return [row_error(number, "client_external_id", OUT_OF_SCOPE)]
    raise exc


class RowRunner:
    """Runs the rows of one import in one unit of work, as its author.

    What every row reads is read once for the whole run (:meth:`prepare`): the run's
    clients in the author's scope (their rows locked, in id order, as each use case locks
    its client), the records of its keys, its clients' contracts (and, for invoices, their
    credit). A new contract, and a new invoice that needs nothing but its number, is checked
    here as its use case checks it and kept for :meth:`flush`, which writes the kept rows at
    once (``create_contracts``, ``issue_drafts``: one INSERT of the records, one of their
    audit rows, one of their events; the invoices' numbers in one step of the year's
    counter). Any other row runs through its use case as it comes, the kept ones flushed
    before it: every row sees the rows before it written, the numbers follow the rows."""

    def __init__(
        self, uow: UnitOfWork, caller: Caller, kind: str, settings: BillingSettings
    ) -> None:
        self.uow = uow
        self.caller = caller
        self.kind = kind
        self.settings = settings
        self.outcome = {"created": 0, "updated": 0, "unchanged": 0}
        self._errors: list[RowError] = []  # the errors of the row running
        self.clients: dict[uuid.UUID, ClientView] = {}
        self.known: dict[str, Any] = {}  # external_id -> the contract or invoice
        self.contracts: dict[tuple[uuid.UUID, str], Contract] = {}
        self.credit: dict[uuid.UUID, dict[str, Decimal]] = {}
        self.terms: dict[str | None, dunning.Terms] = {}  # by department
        self.new_contracts: list[tuple[Contract, ClientView]] = []
        self.new_invoices: list[tuple[Invoice, ClientView, dict[str, Any]]] = []
        self.new_allocations: list[Allocation] = []  # of the new invoices paid in part

    async def prepare(self, rows: list[Mapping[str, Any]]) -> None:
        """Read once what the rows need (class docstring)."""
        session = self.uow.session
        client_ids = {uuid.UUID(str(row["client_id"])) for row in rows}
        self.clients = await store.lock_clients_in_scope(session, self.caller, client_ids)
        keys = [row["cells"]["external_id"] for row in rows if "external_id" in row["cells"]]
        if self.kind == "contracts":
            self.known = dict(await store.by_external_ids(session, Contract, keys))
        else:
            self.known = dict(await store.by_external_ids(session, Invoice, keys))
        self.contracts = await store.contracts_of(session, client_ids)
        if self.kind == "invoices":
            self.credit = await store.credit_of(session, client_ids)

    async def flush(self) -> None:
        """Write the rows kept so far (class docstring)."""
        if self.new_contracts:
            await create_contracts(self.uow, self.caller, self.new_contracts)
            self.new_contracts = []
        if self.new_invoices:
            await issue_drafts(self.uow, self.caller, self.new_invoices, self.new_allocations)
            self.new_invoices, self.new_allocations = [], []

    async def _client(self, client_id: uuid.UUID) -> ClientView:
        """The row's client if the author may see it (one the run did not find: read
        through), else 404."""
        client = self.clients.get(client_id)
        if client is None:
            client = await get_client(self.uow.session, self.caller, client_id, for_update=True)
            self.clients[client_id] = client
        return client

    async def run(
        self, number: int, client_id: uuid.UUID, cells: Mapping[str, str]
    ) -> list[RowError]:
        """The row's errors, else the row is run (its outcome counted)."""
        if "external_id" not in cells:  # the clients service sends none without it
            return [row_error(number, "external_id", "required")]
        self._errors = errors = missing_cells(self.kind, number, cells)
        try:
            # The client first: one out of the author's scope says nothing more.
            client = await self._client(client_id)
            existing = self.known.get(cells["external_id"])
            if existing is not None and existing.client_id != client_id:
                return [row_error(number, "client_external_id", ANOTHER_CLIENT)]
            if self.kind == "contracts":
                done = await self._contract(number, client, cells, existing)
            else:
                done = await self._invoice(number, client, cells, existing)
        except (Invalid, Conflict, Forbidden, NotFound) as exc:
            errors += problems_of(exc, number, self.kind)
        if errors:
            return one_per_column(errors)
        self.outcome[done] += 1
        return []

    def _validated(self, model: type[Command], body: dict[str, Any], number: int) -> Command | None:
        """The command, or None with its errors added to the row's."""
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            self._errors += problems_of(exc, number, self.kind)
            return None

    async def _contract(
        self,
        number: int,
        client: ClientView,
        cells: Mapping[str, str],
        existing: Contract | None,
    ) -> str:
        uow, caller = self.uow, self.caller
        if existing is None:
            command = self._validated(ContractIn, contract_body(str(client.id), cells), number)
            if command is None:
                return "created"
            require_staff(caller)
            if (client.id, command.number) in self.contracts:
                raise duplicate_number(command.number)
            created = new_contract(client, command, uow.clock.now())
            created.external_id = cells["external_id"]
            self.new_contracts.append((created, client))
            self.contracts[(client.id, created.number)] = created
            self.known[cells["external_id"]] = created
            return "created"
        patch = self._validated(ContractPatch, contract_patch(cells), number)
        if patch is None:
            return "updated"
        if "starts_on" in cells and not same_day(cells["starts_on"], existing.starts_on):
            self._errors.append(
                row_error(number, "starts_on", "a contract's start cannot change: renew it")
            )
            return "updated"
        if not contract_changes(existing, patch):
            return "unchanged"  # update_contract would write nothing either
        await self.flush()
        emitted = len(uow.emitted)
        was = existing.number
        updated = await update_contract(uow, caller, existing.id, patch)
        self.contracts.pop((updated.client_id, was), None)
        self.contracts[(updated.client_id, updated.number)] = updated
        self.known[cells["external_id"]] = updated
        return "updated" if len(uow.emitted) > emitted else "unchanged"

    async def _invoice(
        self,
        number: int,
        client: ClientView,
        cells: Mapping[str, str],
        existing: Invoice | None,
    ) -> str:
        uow, caller = self.uow, self.caller
        contract = None
        if "contract_number" in cells:
            contract = self.contracts.get((client.id, cells["contract_number"]))
            if contract is None:
                self._errors.append(
                    row_error(number, "contract_number", "the client has no contract so numbered")
                )
        contract_id = None if contract is None else str(contract.id)
        body, issue_body = invoice_bodies(str(client.id), contract_id, cells)
        draft = self._validated(InvoiceIn, body, number)
        issue = self._validated(IssueIn, issue_body, number)
        if self._errors or draft is None or issue is None:
            return "created"
        if existing is not None:
            return self._same_invoice(number, existing, draft, issue, cells)
        require_staff(caller)
        invoice = priced_draft(client, contract, draft, uow.clock.now())
        invoice.external_id = cells["external_id"]
        invoice.external_number = cells["number"]
        try:
            paid = amount_paid(cells, invoice.total, invoice.currency)
        except MoneyError as exc:
            self._errors.append(row_error(number, "amount_paid", str(exc)))
            return "created"
        credit = self.credit.get(client.id, {}).get(invoice.currency)
        if needs_one_by_one(contract, credit):
            await self.flush()
            created = await create_invoice(uow, caller, draft)
            created.external_id, created.external_number = invoice.external_id, cells["number"]
            await uow.session.flush()
            await issue_invoice(uow, caller, created.id, issue, self.settings, paid)
            self.credit[client.id] = await credit_balances(uow.session, client.id)
            self.known[cells["external_id"]] = created
            return "created"
        today, now = client_today(client, uow), uow.clock.now()
        issued = issued_values(caller, issue, contract, today, await self._terms(client), now)
        if paid:
            columns, allocation = paid_before(invoice, paid, issued["due_date"], today, now)
            issued.update(columns)
            self.new_allocations.append(allocation)
        self.new_invoices.append((invoice, client, issued))
        self.known[cells["external_id"]] = invoice
        return "created"

    async def _terms(self, client: ClientView) -> dunning.Terms:
        """``dunning_terms`` of the client's department, read once per department."""
        department = client.account_manager_department
        if department not in self.terms:
            self.terms[department] = await dunning_terms(self.uow, client, self.settings)
        return self.terms[department]

    def _same_invoice(
        self,
        number: int,
        existing: Invoice,
        draft: InvoiceIn,
        issue: IssueIn,
        cells: Mapping[str, str],
    ) -> str:
        """A known invoice: unchanged when the row agrees with it, else each column that
        differs is an error (an issued invoice's lines and dates are frozen)."""
        line = draft.lines[0]
        current = {
            "number": existing.external_number,
            "issue_date": existing.issue_date,
            "due_date": existing.due_date,
            "currency": existing.currency,
            "amount": existing.subtotal,
        }
        wanted: dict[str, Any] = {
            "number": cells["number"],
            "issue_date": issue.issue_date,
            "due_date": issue.due_date,
            "currency": draft.currency,
            "amount": Decimal(line.unit_price),
        }
        for column in changed_columns(current, wanted):
            self._errors.append(
                row_error(
                    number,
                    column,
                    f"the invoice was imported with {current[column]}: an issued invoice "
                    "cannot change",
                )
            )
        return "unchanged"


async def import_rows(
    uow_factory: UnitOfWorkFactory, settings: BillingSettings, kind: str, asked: dict[str, Any]
) -> dict[str, Any]:
    """Run an import's rows (module docstring): ``{"errors", "outcome"}`` (``shared.imports``)."""
    if kind not in KINDS:
        raise NotFound(f"no import of {kind!r} here")
    caller = caller_of(asked["caller"])
    caller.require(Role.ADMIN, Role.HEAD)
    errors: list[RowError] = []
    async with uow_factory() as uow:
        runner = RowRunner(uow, caller, kind, settings)
        await runner.prepare(asked["rows"])
        for row in asked["rows"]:
            number = int(row["row"])
            errors += await runner.run(number, uuid.UUID(str(row["client_id"])), row["cells"])
        if not errors and not asked.get("dry_run"):
            await runner.flush()
        if errors or asked.get("dry_run"):
            await uow.session.rollback()
            uow.emitted = []
        else:
            await uow.commit()
    return {"errors": errors, "outcome": runner.outcome}
