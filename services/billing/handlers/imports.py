"""Imports of contracts and open invoices: the rows of an import the clients service runs
(``shared.imports``), each its client found there already, run here as the import's author.

Each row goes through the API's own commands and use cases (``ContractIn``/``ContractPatch``
and ``create_contract``/``update_contract``; ``InvoiceIn`` + ``IssueIn`` and
``create_invoice`` then ``issue_invoice``), so an imported row is validated, scoped (the
row's client must be one the author may see), audited and evented (``contract.created``,
``invoice.issued``, ...) exactly like the same calls to the API. Upserts by ``external_id``:
a known contract is patched with the row's cells (nothing changed: nothing written), a known
invoice is left as it is when the row agrees with it and refused where it does not (an
issued invoice's lines and dates are frozen). Running a file again creates nothing twice.

All or nothing: every row runs in ONE unit of work; a dry run, or any bad row, rolls it
back (nothing written, no event) and every bad row is answered."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError

from services.billing.commands import ContractIn, ContractPatch, InvoiceIn, IssueIn
from services.billing.domain.imports import (
    RowError,
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
from services.billing.handlers.contracts import create_contract, update_contract
from services.billing.handlers.invoices import create_invoice, issue_invoice
from services.billing.settings import BillingSettings
from services.billing.store.clients import get_client
from services.billing.store.contracts import contract_by_number
from services.billing.store.imports import by_external_id
from services.billing.store.models import Contract, Invoice
from shared.auth import Caller, Role
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.inputs import In
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
    """Runs the rows of one import in one unit of work, as its author."""

    def __init__(
        self, uow: UnitOfWork, caller: Caller, kind: str, settings: BillingSettings
    ) -> None:
        self.uow = uow
        self.caller = caller
        self.kind = kind
        self.settings = settings
        self.outcome = {"created": 0, "updated": 0, "unchanged": 0}
        self._errors: list[RowError] = []  # the errors of the row running

    async def run(
        self, number: int, client_id: uuid.UUID, cells: Mapping[str, str]
    ) -> list[RowError]:
        """The row's errors, else the row is run (its outcome counted)."""
        if "external_id" not in cells:  # the clients service sends none without it
            return [row_error(number, "external_id", "required")]
        self._errors = errors = missing_cells(self.kind, number, cells)
        try:
            # The client first: one out of the author's scope says nothing more.
            await get_client(self.uow.session, self.caller, client_id)
            key = cells["external_id"]
            if self.kind == "contracts":
                contract = await by_external_id(self.uow.session, Contract, key)
                if contract is not None and contract.client_id != client_id:
                    return [row_error(number, "client_external_id", ANOTHER_CLIENT)]
                done = await self._contract(number, client_id, cells, contract)
            else:
                invoice = await by_external_id(self.uow.session, Invoice, key)
                if invoice is not None and invoice.client_id != client_id:
                    return [row_error(number, "client_external_id", ANOTHER_CLIENT)]
                done = await self._invoice(number, client_id, cells, invoice)
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
        client_id: uuid.UUID,
        cells: Mapping[str, str],
        existing: Contract | None,
    ) -> str:
        uow, caller = self.uow, self.caller
        if existing is None:
            command = self._validated(ContractIn, contract_body(str(client_id), cells), number)
            if command is None:
                return "created"
            created = await create_contract(uow, caller, command)
            created.external_id = cells["external_id"]
            await uow.session.flush()
            return "created"
        patch = self._validated(ContractPatch, contract_patch(cells), number)
        if patch is None:
            return "updated"
        if "starts_on" in cells and not same_day(cells["starts_on"], existing.starts_on):
            self._errors.append(
                row_error(number, "starts_on", "a contract's start cannot change: renew it")
            )
            return "updated"
        emitted = len(uow.emitted)
        await update_contract(uow, caller, existing.id, patch)
        return "updated" if len(uow.emitted) > emitted else "unchanged"

    async def _invoice(
        self,
        number: int,
        client_id: uuid.UUID,
        cells: Mapping[str, str],
        existing: Invoice | None,
    ) -> str:
        uow, caller = self.uow, self.caller
        contract_id = None
        if "contract_number" in cells:
            contract = await contract_by_number(uow.session, client_id, cells["contract_number"])
            if contract is None:
                self._errors.append(
                    row_error(number, "contract_number", "the client has no contract so numbered")
                )
            else:
                contract_id = str(contract.id)
        body, issue_body = invoice_bodies(str(client_id), contract_id, cells)
        draft = self._validated(InvoiceIn, body, number)
        issue = self._validated(IssueIn, issue_body, number)
        if self._errors or draft is None or issue is None:
            return "created"
        if existing is not None:
            return self._same_invoice(number, existing, draft, issue, cells)
        invoice = await create_invoice(uow, caller, draft)
        invoice.external_id = cells["external_id"]
        invoice.external_number = cells["number"]
        await uow.session.flush()
        await issue_invoice(uow, caller, invoice.id, issue, self.settings)
        return "created"

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
        for row in asked["rows"]:
            number = int(row["row"])
            errors += await runner.run(number, uuid.UUID(str(row["client_id"])), row["cells"])
        if errors or asked.get("dry_run"):
            await uow.session.rollback()
            uow.emitted = []
        else:
            await uow.commit()
    return {"errors": errors, "outcome": runner.outcome}
