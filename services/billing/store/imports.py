"""What an import of contracts and invoices reads and writes at once (``handlers/imports.py``):
the records of the run's keys, the run's clients' contracts and credit, the new rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import Allocation, Contract, CreditEntry, Invoice
from shared.auth import Caller
from shared.replicas import ClientView, client_replica, client_view

Imported = TypeVar("Imported", Contract, Invoice)
# The values an IN (...) takes per statement (SQLite's bound parameters are limited).
CHUNK = 500


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """``values`` sorted, deduplicated, in lists of at most :data:`CHUNK`."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


async def by_external_ids(
    session: AsyncSession, entity: type[Imported], external_ids: Iterable[str]
) -> dict[str, Imported]:
    """The contracts or invoices imported with the given keys, by key (any client: the
    caller's scope is checked on the row's client; a query per :data:`CHUNK` keys, not one
    per key)."""
    found: dict[str, Imported] = {}
    for keys in chunks(external_ids):
        for record in await session.scalars(select(entity).where(entity.external_id.in_(keys))):
            assert record.external_id is not None
            found[record.external_id] = record
    return found


async def lock_clients_in_scope(
    session: AsyncSession, caller: Caller, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ClientView]:
    """``store.clients.get_client`` ``for_update`` of the run's clients: those the caller may
    see, their rows locked in id order (as ``lock_clients``), by id. A client not among them
    is the caller's to look for one by one (read through, else 404)."""
    found: dict[uuid.UUID, ClientView] = {}
    for ids in chunks(client_ids):
        stmt = (
            select(client_replica)
            .where(client_replica.c.id.in_(ids), scope(caller, client_replica.c.id))
            .order_by(client_replica.c.id)
            .with_for_update(of=client_replica, key_share=True)
        )
        found.update((row.id, client_view(row)) for row in (await session.execute(stmt)).all())
    return found


async def contracts_of(
    session: AsyncSession, client_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], Contract]:
    """The clients' contracts by (client, number)."""
    found: dict[tuple[uuid.UUID, str], Contract] = {}
    for ids in chunks(client_ids):
        for contract in await session.scalars(select(Contract).where(Contract.client_id.in_(ids))):
            found[(contract.client_id, contract.number)] = contract
    return found


async def credit_of(
    session: AsyncSession, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Decimal]]:
    """``payments.credit_balances`` of many clients: their credit by currency (none: left
    out)."""
    sums: dict[uuid.UUID, dict[str, Decimal]] = {}
    for ids in chunks(client_ids):
        rows = await session.execute(
            select(CreditEntry.client_id, CreditEntry.currency, CreditEntry.amount).where(
                CreditEntry.client_id.in_(ids)
            )
        )
        for client_id, currency, amount in rows:  # summed in Python: SQLite keeps text
            balances = sums.setdefault(client_id, {})
            balances[currency] = balances.get(currency, Decimal(0)) + amount
    return {c: {k: a for k, a in b.items() if a != 0} for c, b in sums.items()}


def _row_of(record: Any, table: Table) -> dict[str, Any]:
    """The record's column values as an INSERT takes them (an unset column: its default)."""
    values = vars(record)
    row = {}
    for column in table.columns:
        if column.key in values:
            row[column.key] = values[column.key]
        elif column.default is not None and column.default.is_scalar:
            row[column.key] = column.default.arg  # type: ignore[attr-defined]
        else:
            row[column.key] = None
    return row


async def insert_all(
    session: AsyncSession, records: Sequence[Contract | Invoice | Allocation]
) -> None:
    """Write new records of one kind as one INSERT (its rows as an executemany), outside the
    session's unit of work: thousands of an import's rows without an ORM flush of each."""
    if not records:
        return
    table = cast(Table, type(records[0]).__table__)
    await session.execute(insert(table), [_row_of(r, table) for r in records])
