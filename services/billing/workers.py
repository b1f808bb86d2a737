"""Scheduled jobs of the billing service (``shared.scheduler``), against the injected clock,
bound to its settings by :func:`scheduled_jobs`.

- :class:`ContractScanJob`: ``contract.expiring`` once per contract end, ``renewal_notice_days``
  before it; after the end an ``auto_renew`` contract renews for the same term
  (``contract.renewed``), any other expires (``contract.expired``).
- :class:`EstimateExpiryJob`: a draft estimate past its ``valid_until`` (the client's
  today), ``estimate.expired`` once per ``valid_until``.
- :class:`PaymentControlJob`: an issued invoice past its due date with a balance becomes
  ``overdue`` (``invoice.overdue`` once), the dunning steps (``payment_reminder_due`` once
  per step), a broken promise to pay (``invoice.promise_broken``).

Both find their due rows through a partial index on the open rows (``next_check_on``,
``next_action_on``: the next day something may be due for the row), keyset-paged in batches
of ``billing_scan_batch_size``, one transaction per batch. Each batch locks its clients'
replica rows in id order first (one statement; like the use cases, so the outbox order per
client matches the commit order and a scan never deadlocks with a use case), then re-reads
its rows locked and still due, so two scanners (replicas) serialise on a client and the
second finds the work done; every event goes out under its deterministic key besides:
exactly once. Payment control does a batch in a fixed number of statements (one UPDATE per
distinct new state, ``uow.emit_once_many`` for the alerts); the contract scan, over far
fewer rows, goes row by row.

What a scan changes is in the entity's audit trail with ``actor_id`` null (the system): an
invoice becoming overdue, its dunning step and promise state (:data:`INVOICE_SCAN_FIELDS`), a
contract's expiry notice, expiry or automatic renewal (:data:`CONTRACT_SCAN_FIELDS`), an
estimate's expiry noticed; one INSERT per batch (``shared.audit.record_many``).

"Today" is the client's (its timezone): a row is selected when it may be due anywhere on
earth (up to UTC+14) and decided with the client's own date.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from services.billing.domain import dunning
from services.billing.domain.contracts import EXPIRED
from services.billing.domain.dates import today_in
from services.billing.domain.estimates import EXPIRED as EXPIRED_ESTIMATE
from services.billing.domain.estimates import is_expired
from services.billing.domain.invoices import OVERDUE, balance, days_overdue
from services.billing.events import (
    ContractExpiredV1,
    ContractExpiringV1,
    EstimateExpiredV1,
    InvoiceOverdueV1,
    InvoicePaymentReminderDueV1,
    InvoicePromiseBrokenV1,
)
from services.billing.handlers.contracts import next_check, renew
from services.billing.settings import BillingSettings
from services.billing.snapshots import contract_fields, estimate_fields, invoice_fields
from services.billing.store import scans
from services.billing.store.clients import lock_clients
from services.billing.store.models import Contract, Estimate, Invoice
from shared import audit
from shared.policy_replica import every_policy_document
from shared.replicas import ClientView
from shared.scheduler import ScheduledJob
from shared.uow import UnitOfWork, UnitOfWorkFactory

EARLIEST_OFFSET = timedelta(hours=14)  # the first timezone to reach a date (UTC+14)

# What each scan may change of its rows, in their audit trails (actor: null, the system).
CONTRACT_SCAN_FIELDS = ("starts_on", "ends_on", "status", "notice_sent_for")
ESTIMATE_SCAN_FIELDS = ("expiry_noticed_on",)
INVOICE_SCAN_FIELDS = ("status", "dunning_step", "promise_state")


def latest_today(now: datetime) -> date:
    """The latest date it is anywhere on earth at ``now``."""
    return (now + EARLIEST_OFFSET).date()


async def _batches(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    batch_size: int,
    due: scans.Due,
    process: Any,
) -> int:
    """Keyset-page the due rows (due by the latest today, through their partial index), one
    transaction per batch: lock the batch's clients in id order, re-read the rows locked,
    ``process`` each (it appends what it changed to the batch's trail, written at its end).
    Returns how many events were emitted."""
    bound = latest_today(now)
    after: tuple[date, uuid.UUID] | None = None
    emitted = 0
    while True:
        async with uow_factory() as uow:
            rows = await scans.due_rows(uow.session, due, bound, after, batch_size)
            if not rows:
                return emitted
            after = (rows[-1][2], rows[-1][0])
            clients = await lock_clients(uow.session, [r[1] for r in rows])
            trail: list[audit.EntityChanges] = []
            for row in await scans.locked_open(uow.session, due, [r[0] for r in rows]):
                client = clients.get(row.client_id)
                if client is not None:
                    today = today_in(client.timezone, now)
                    emitted += await process(uow, row, client, today, trail)
            await audit.record_many(uow, None, trail)
            await uow.commit()
        if len(rows) < batch_size:
            return emitted


# ---------------------------------------------------------------- contracts


async def _contract_due(
    uow: UnitOfWork,
    contract: Contract,
    client: ClientView,
    today: date,
    trail: list[audit.EntityChanges],
) -> int:
    if contract.next_check_on is None or contract.next_check_on > today:
        return 0  # not yet in the client's timezone (or done by another scanner)
    before = audit.state(contract, CONTRACT_SCAN_FIELDS)
    emitted = await _contract_step(uow, contract, client, today)
    after = audit.state(contract, CONTRACT_SCAN_FIELDS)
    trail.append(("contract", contract.id, audit.diff(before, after, CONTRACT_SCAN_FIELDS)))
    return emitted


async def _contract_step(
    uow: UnitOfWork, contract: Contract, client: ClientView, today: date
) -> int:
    emitted = 0
    if today > contract.ends_on:
        ended = contract.ends_on
        if contract.auto_renew:
            event: Any = await renew(uow, contract, client, None, automatic=True)
            key = f"contract-renewed:{contract.id}:{ended}"
        else:
            contract.status = EXPIRED
            contract.next_check_on = None
            contract.updated_at = uow.clock.now()
            await uow.session.flush()
            event = ContractExpiredV1(**contract_fields(contract, client))
            key = f"contract-expired:{contract.id}:{ended}"
        return 1 if await uow.emit_once(key, event) else 0
    if contract.notice_sent_for != contract.ends_on:
        contract.notice_sent_for = contract.ends_on
        event = ContractExpiringV1(
            **contract_fields(contract, client), days_left=(contract.ends_on - today).days
        )
        if await uow.emit_once(f"contract-expiring:{contract.id}:{contract.ends_on}", event):
            emitted += 1
    contract.next_check_on = next_check(contract)
    await uow.session.flush()
    return emitted


async def scan_contracts(uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int) -> int:
    return await _batches(uow_factory, now, batch_size, scans.CONTRACTS_DUE, _contract_due)


class ContractScanJob:
    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await scan_contracts(uow_factory, now, self.batch_size)


# ---------------------------------------------------------------- estimates


async def _estimate_due(
    uow: UnitOfWork,
    estimate: Estimate,
    client: ClientView,
    today: date,
    trail: list[audit.EntityChanges],
) -> int:
    if estimate.valid_until is None or not is_expired(estimate.valid_until, today):
        return 0  # not yet in the client's timezone
    trail.append(("estimate", estimate.id, {"expiry_noticed_on": (None, today)}))
    estimate.expiry_noticed_on = today
    await uow.session.flush()
    event = EstimateExpiredV1(**{**estimate_fields(estimate, client), "status": EXPIRED_ESTIMATE})
    key = f"estimate-expired:{estimate.id}:{estimate.valid_until}"
    return 1 if await uow.emit_once(key, event) else 0


class EstimateExpiryJob:
    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await _batches(uow_factory, now, self.batch_size, scans.ESTIMATES_DUE, _estimate_due)


# ---------------------------------------------------------------- invoices


PLAN_COLUMNS = ("status", "overdue_sent", "dunning_step", "promise_state", "next_action_on")


class PaymentControl:
    """The dunning schedule and escalation: the environment's (``schedule``,
    ``escalate_from``), each department's policy over them (``documents``, the policy
    replica as a batch reads it: :meth:`with_policies`)."""

    def __init__(
        self,
        schedule: Sequence[int],
        escalate_from: int,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.schedule = tuple(schedule)
        self.escalate_from = escalate_from
        self.documents = dict(documents or {})
        self._terms: dict[str | None, dunning.Terms] = {}

    def with_policies(self, documents: Mapping[str, Mapping[str, Any]]) -> PaymentControl:
        return PaymentControl(self.schedule, self.escalate_from, documents)

    def terms(self, department: str | None) -> dunning.Terms:
        found = self._terms.get(department)
        if found is None:
            default = dunning.Terms(self.schedule, self.escalate_from)
            found = self._terms[department] = dunning.terms(self.documents, department, default)
        return found

    def decide(
        self, invoice: SimpleNamespace, client: ClientView, today: date
    ) -> tuple[dict[str, Any] | None, list[tuple[str, Any]]]:
        """What is due for ``invoice`` (its columns, updated in place) on the client's
        ``today``: the new payment-control state (None: nothing changes) and the alerts
        under their deterministic keys."""
        if invoice.next_action_on is None or invoice.next_action_on > today:
            return None, []  # not yet in the client's timezone
        if invoice.due_date is None or balance(cast(Invoice, invoice)) <= 0:
            return {"next_action_on": None}, []  # nothing can fall due on it
        terms = self.terms(client.account_manager_department)
        plan = dunning.plan(
            due_date=invoice.due_date,
            today=today,
            schedule=terms.schedule,
            escalate_from=terms.escalate_from,
            last_step=invoice.dunning_step,
            overdue_sent=invoice.overdue_sent,
            promised_on=invoice.promised_on,
            promise_state=invoice.promise_state,
        )
        if plan.overdue or today > invoice.due_date:
            invoice.status = OVERDUE
        invoice.overdue_sent = invoice.overdue_sent or plan.overdue
        invoice.dunning_step = plan.last_step
        invoice.promise_state = plan.promise_state
        invoice.next_action_on = plan.next_action_on
        state = {name: getattr(invoice, name) for name in PLAN_COLUMNS}
        late = days_overdue(
            invoice.status, balance(cast(Invoice, invoice)), invoice.due_date, today
        )
        fields = invoice_fields(cast(Invoice, invoice), client)
        alerts: list[tuple[str, Any]] = []
        if plan.overdue:
            alerts.append(
                (
                    f"invoice-overdue:{invoice.id}",
                    InvoiceOverdueV1(**fields, days_overdue=late, step=plan.last_step),
                )
            )
        if plan.reminder is not None:
            alerts.append(
                (
                    f"dunning:{invoice.id}:{plan.reminder.step}",
                    InvoicePaymentReminderDueV1(
                        **fields,
                        days_overdue=plan.reminder.days_overdue,
                        step=plan.reminder.step,
                        escalate=plan.reminder.escalate,
                        billing_contacts=client.billing_contacts(),
                    ),
                )
            )
        if plan.promise_broken and invoice.promised_on is not None:
            alerts.append(
                (
                    f"promise-broken:{invoice.id}:{invoice.promised_on}",
                    InvoicePromiseBrokenV1(
                        **fields,
                        promised_on=invoice.promised_on,
                        promise_note=invoice.promise_note,
                        days_overdue=late,
                        step=plan.last_step,
                    ),
                )
            )
        return state, alerts


async def _control_batch(
    uow: UnitOfWork,
    control: PaymentControl,
    rows: Sequence[Any],
    bound: date,
    now: datetime,
) -> int:
    """One batch of due invoices, in a few statements whatever its size: lock the clients
    (one statement, id order), re-read the invoices locked and still due (one), set their new
    state (one UPDATE per distinct state: the batch's invoices mostly share one), claim the
    alerts' keys and write the claimed ones to the outbox (``emit_once_many``: two), and
    what changed in the invoices' audit trails (one)."""
    clients = await lock_clients(uow.session, [r.client_id for r in rows])
    control = control.with_policies(await every_policy_document(uow.session))
    fresh = await scans.locked_invoices_due(uow.session, [r.id for r in rows], bound)
    changes: dict[tuple[Any, ...], list[uuid.UUID]] = {}
    alerts: list[tuple[str, Any]] = []
    trail: list[audit.EntityChanges] = []
    for row in fresh:
        client = clients.get(row.client_id)
        if client is None:
            continue
        invoice = SimpleNamespace(**row._asdict())
        before = audit.state(invoice, INVOICE_SCAN_FIELDS)
        state, due = control.decide(invoice, client, today_in(client.timezone, now))
        if state is not None:
            changes.setdefault(tuple(sorted(state.items())), []).append(invoice.id)
            alerts += due
            after = audit.state(invoice, INVOICE_SCAN_FIELDS)
            trail.append(("invoice", invoice.id, audit.diff(before, after, INVOICE_SCAN_FIELDS)))
    await scans.set_invoice_states(uow.session, changes, uow.clock.now())
    await audit.record_many(uow, None, trail)
    return await uow.emit_once_many(alerts)


async def scan_invoices(
    uow_factory: UnitOfWorkFactory, now: datetime, control: PaymentControl, batch_size: int
) -> int:
    """Payment control: the open invoices whose ``next_action_on`` may have come anywhere
    on earth, keyset-paged through their partial index, one transaction per batch
    (:func:`_control_batch`). Returns how many alerts were emitted."""
    bound = latest_today(now)
    after: tuple[date, uuid.UUID] | None = None
    emitted = 0
    while True:
        async with uow_factory() as uow:
            rows = await scans.due_rows(uow.session, scans.INVOICES_DUE, bound, after, batch_size)
            if not rows:
                return emitted
            after = (rows[-1].next_action_on, rows[-1].id)
            emitted += await _control_batch(uow, control, rows, bound, now)
            await uow.commit()
        if len(rows) < batch_size:
            return emitted


class PaymentControlJob:
    def __init__(self, schedule: Sequence[int], escalate_from: int, batch_size: int) -> None:
        self.control = PaymentControl(schedule, escalate_from)
        self.batch_size = batch_size

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await scan_invoices(uow_factory, now, self.control, self.batch_size)


def scheduled_jobs(settings: BillingSettings) -> dict[str, ScheduledJob]:
    """The service's scans, bound to its settings."""
    batch = settings.billing_scan_batch_size
    return {
        "contracts": ContractScanJob(batch),
        "estimates": EstimateExpiryJob(batch),
        "payment_control": PaymentControlJob(
            settings.dunning_steps, settings.billing_dunning_escalate_from_days, batch
        ),
    }
