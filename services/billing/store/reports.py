"""The billing reports: one query function each, returning rows (plain dicts, amounts as
``Decimal``) within the caller's scope; ``api/exports.py`` renders the same rows as JSON,
CSV or Excel. Amounts of different currencies are never added: every money row is per
currency."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from babel.numbers import list_currencies
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Select,
    String,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from services.billing.domain.dates import today_in
from services.billing.domain.invoices import DRAFT, OPEN, VOID
from services.billing.domain.opportunities import OPEN_STAGES
from services.billing.domain.reports import (
    BUCKETS,
    LIMITS,
    ReportName,
    aging_bucket,
    bucket_edges,
    discipline_of,
    dso,
)
from services.billing.store.models import Allocation, CreditNote, Invoice, Opportunity, Payment
from shared.auth import Caller
from shared.db import core_rows, json_array, money_sign, money_sub, money_sum
from shared.money import minor_unit
from shared.replicas import (
    SCOPE_CACHE_SIZE,
    client_replica,
    manager_scope,
    staff_names,
)

Row = dict[str, Any]
DSO_DAYS = 90


@dataclass
class Report:
    """A report's rows and the names and kinds of its columns (``money`` columns hold
    ``Decimal`` amounts in the row's ``currency``)."""

    name: ReportName
    columns: list[str]
    money: list[str]
    rows: list[Row]
    parameters: dict[str, Any] = field(default_factory=dict)


def _start_of(day: date) -> datetime:
    """The instant a day starts (UTC)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _end_of(day: date) -> datetime:
    """The instant a day ends (UTC); the calendar's last day ends at its last instant."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _today_of(now: datetime) -> Callable[[str | None], date]:
    """Each timezone's today at ``now`` (its date there; UTC's when unknown), computed once per
    zone."""
    cache: dict[str | None, date] = {}

    def today(timezone: str | None) -> date:
        if timezone not in cache:
            cache[timezone] = today_in(timezone, now)
        return cache[timezone]

    return today


def _possible_todays(now: datetime) -> tuple[date, date, date]:
    """The days one of which is each client's today at ``now``: every timezone's date is
    within a day of UTC's (UTC-12 to UTC+14)."""
    utc = now.astimezone(UTC).date()
    return utc - timedelta(days=1), utc, utc + timedelta(days=1)


def _unless_between(day: Any, low: date | None, high: date) -> ColumnElement[Any]:
    """SQL: ``day``, or NULL when it is within ``low``..``high`` (``low`` None: any day up to
    ``high``): the grouping key of a day only some clients' periods hold, the others' rows
    summed as one."""
    common = day <= high if low is None else day.between(low, high)
    return case((common, null()), else_=day)


async def aging(
    session: AsyncSession,
    caller: Caller,
    as_of: date | None,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> Report:
    """Per client and currency: what was open on ``as_of`` (issued by then, less what was
    paid by then), by days past the due date; then the totals per currency. Without
    ``as_of``, each client's own today at ``now`` (its timezone's date) and what was paid
    until ``now``: an invoice issued today east of UTC is in at once.

    The database sums the open invoices (each invoice's total less its allocations by then,
    if above zero) per client, currency and interval of due dates (between the edges of the
    buckets, ``bucket_edges``, of each day that may be a client's today); the bucket of each
    client's day is applied to those sums here. The invoices issued on a day that is today
    for some clients only are summed per issue date, and kept for the clients whose today it
    has reached."""
    if as_of is None:
        # paid until now: every allocation, which ``amount_paid`` sums as it is written
        # (payments, credit and credit notes add theirs, a reversal takes its own back)
        open_amount = money_sub(Invoice.total, Invoice.amount_paid)
    else:
        paid = (
            select(money_sum(Allocation.amount))
            .where(Allocation.invoice_id == Invoice.id, Allocation.created_at < _end_of(as_of))
            .scalar_subquery()
        )
        open_amount = money_sub(Invoice.total, func.coalesce(paid, 0))
    days = [as_of] if as_of else list(_possible_todays(now))
    if as_of is not None:
        issued: ColumnElement[Any] = null()
    else:
        issued = _unless_between(Invoice.issue_date, None, days[0])
    # the due date's interval between the bucket edges of the possible todays (its index;
    # -1 before the first edge): every due date in one has the same bucket on each of them
    edges = sorted({edge for day in days for edge in bucket_edges(day)})
    due = case(
        *(
            (Invoice.due_date >= edge, literal_column(str(i)))
            for i, edge in reversed(list(enumerate(edges)))
        ),
        else_=literal_column("-1"),
    )
    client = client_replica.c
    keys = (client.id, client.name, client.account_manager_id, client.timezone, Invoice.currency)
    per_invoice = (
        select(*keys, due.label("due"), issued.label("issued"), open_amount.label("open"))
        .select_from(Invoice)
        .join(client_replica, client.id == Invoice.client_id)
        .where(
            *_clients_in_scope(caller, account_manager_id),
            Invoice.status.notin_((DRAFT, VOID)),
            Invoice.issue_date <= days[-1],
            Invoice.due_date.is_not(None),
        )
    )
    inner = per_invoice.subquery()
    grouped = [inner.c[k.name] for k in keys] + [inner.c.due, inner.c.issued]
    stmt = (
        select(*grouped, money_sum(inner.c.open))
        .where(money_sign(inner.c.open) > 0)
        .group_by(*grouped)
    )
    sums = await core_rows(session, stmt)
    today = _today_of(now)
    per: dict[tuple[uuid.UUID, str], Row] = {}
    totals: dict[str, Row] = {}
    buckets: dict[tuple[int, date], str] = {}  # a few intervals on a few days: each once
    for cid, name, manager, timezone, currency, interval, issue_date, amount in sums:
        day = as_of or today(timezone)
        if issue_date is not None and issue_date > day:
            continue
        bucket = buckets.get((interval, day))
        if bucket is None:
            start = edges[interval] if interval >= 0 else edges[0] - timedelta(days=1)
            bucket = buckets[interval, day] = aging_bucket(start, day)
        client_row = per.get((cid, currency))
        if client_row is None:
            client_row = per[cid, currency] = _aging_row(cid, name, manager, currency)
        total_row = totals.get(currency)
        if total_row is None:
            total_row = totals[currency] = _aging_row(None, "TOTAL", None, currency)
        for row in (client_row, total_row):
            row[bucket] += amount
            row["total"] += amount
    # a UUID orders as its text does (fixed-width lowercase hex)
    rows = sorted(per.values(), key=lambda r: (r["client_name"], r["currency"], r["client_id"]))
    rows += [totals[c] for c in sorted(totals)]
    return Report(
        "aging",
        list(AGING_COLUMNS),
        [*BUCKETS, "total"],
        rows,
        {"as_of": as_of, "account_manager_id": account_manager_id},
    )


AGING_COLUMNS = ("client_id", "client_name", "account_manager_id", "currency", *BUCKETS, "total")


def _aging_row(
    client_id: uuid.UUID | None, name: str, manager: uuid.UUID | None, currency: str
) -> Row:
    return {
        "client_id": client_id,
        "client_name": name,
        "account_manager_id": manager,
        "currency": currency,
        **{b: Decimal(0) for b in BUCKETS},
        "total": Decimal(0),
    }


async def aging_json(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> str | None:
    """PostgreSQL: the rows of :func:`aging` on each client's today (no ``as_of``) as one JSON
    array, each row as ``api/exports.plain_rows`` writes it, made and written by the database;
    None on SQLite (its JSON is made from :func:`aging`'s rows). The session must not have
    begun (:func:`_written_on_todays`).

    A head's report has thousands of rows: decoding their sums, adding them up per bucket and
    writing each amount cost ~15 ms of the process per call, which concurrent calls queue
    for. Here the database sums each client's open invoices per bucket of days overdue on the
    client's own today (the buckets' limits are the domain's, ``LIMITS``: the same as
    ``aging_bucket``), the totals per currency, and writes the amounts with the currency's
    decimals. Both ways give the same rows on the same data
    (``tests/integration/billing/test_reports_aggregation.py``)."""
    return await _written_on_todays(session, caller, now, account_manager_id, _aging_json)


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _aging_json(caller: Caller, by_manager: bool) -> Select[Any]:
    """The statement of :func:`aging_json` for ``caller`` (and one manager of theirs, the
    parameter ``manager``), each client's today from :func:`_zone_days`: built once, its
    compiled form cached."""
    client = client_replica.c
    scope = _clients_in_scope(caller, bindparam("manager") if by_manager else None)
    zone_days = _zone_days()
    day = zone_days.c.day
    due = Invoice.due_date
    open_amount = Invoice.total - Invoice.amount_paid
    # a bucket's due dates: from its limit's day back to (not including) the next one's; the
    # first ("current") from today on, the last before the last limit
    edges = [day - limit for limit in LIMITS]
    spans = [due >= edges[0]]
    spans += [(due < later) & (due >= earlier) for later, earlier in pairwise(edges)]
    spans.append(due < edges[-1])
    amounts = [*BUCKETS, "total"]
    per = (
        select(
            client.id,
            client.name,
            client.account_manager_id,
            Invoice.currency,
            *(
                _decimal(func.coalesce(func.sum(open_amount).filter(span), 0)).label(bucket)
                for bucket, span in zip(BUCKETS, spans, strict=True)
            ),
            _decimal(func.sum(open_amount)).label("total"),
        )
        .select_from(Invoice)
        .join(client_replica, client.id == Invoice.client_id)
        .join(zone_days, zone_days.c.zone == func.coalesce(client.timezone, ""))
        .where(
            *scope,
            Invoice.status.notin_((DRAFT, VOID)),
            Invoice.issue_date <= day,
            due.is_not(None),
            open_amount > 0,
        )
        .group_by(client.id, Invoice.currency, day)
        .cte("per")
    )
    clients = select(
        literal(0).label("part"),
        per.c.id,
        per.c.name,
        per.c.account_manager_id,
        per.c.currency,
        *(per.c[name] for name in amounts),
    )
    totals = select(
        literal(1),
        cast(null(), Uuid),
        literal("TOTAL"),
        cast(null(), Uuid),
        per.c.currency,
        *(func.sum(per.c[name]) for name in amounts),
    ).group_by(per.c.currency)
    rows = union_all(clients, totals).subquery("rows")
    minor = _minor_table()
    places = func.coalesce(minor.c.places, 2)
    fields = {
        "client_id": rows.c.id,
        "client_name": rows.c.name,
        "account_manager_id": rows.c.account_manager_id,
        "currency": rows.c.currency,
        **{name: _text(func.round(rows.c[name], places)) for name in amounts},
    }
    order = (rows.c.part, rows.c.name.collate("C"), rows.c.currency.collate("C"), rows.c.id)
    return json_array(rows.outerjoin(minor, minor.c.code == rows.c.currency), fields, order)


async def revenue(
    session: AsyncSession,
    caller: Caller,
    start: date | None,
    end: date | None,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> Report:
    """Per account manager and currency: invoiced (invoices issued in the period, less the
    credit notes issued in it) and collected (payments received in it, a reversed one not).
    Without ``start``/``end``, each client's current month so far: from the first of its
    month to its today (its timezone's), payments until ``now``.

    The database counts and sums per account manager, currency and timezone (each zone's
    period is the same for its clients); a day only some zones' periods hold is a key of its
    own, kept for the zones whose period holds it."""
    today = _today_of(now)
    todays = _possible_todays(now)
    # every client's first and last day is one of these: the invoices, credit notes and
    # payments dated between the latest first and the earliest last are in for all of them
    firsts = sorted({start} if start else {d.replace(day=1) for d in todays})
    lasts = sorted({end} if end else set(todays))

    def period(timezone: str) -> tuple[date, date]:
        return start or today(timezone).replace(day=1), end or today(timezone)

    client = client_replica.c

    async def sums(entity: Any, edge: Any, amount: Any, *conditions: Any) -> list[Any]:
        """Per manager, currency, zone and ``edge`` key: how many, and their sum of
        ``amount``."""
        keys = (client.account_manager_id, entity.currency, client.timezone)
        inner = (
            select(*keys, edge.label("day"), amount.label("amount"))
            .select_from(entity)
            .join(client_replica, client.id == entity.client_id)
            .where(*_clients_in_scope(caller, account_manager_id), *conditions)
        )
        found = inner.subquery()
        grouped = [found.c[k.name] for k in keys] + [found.c.day]
        stmt = select(*grouped, func.count(), money_sum(found.c.amount)).group_by(*grouped)
        return list((await session.execute(stmt)).all())

    rows: dict[tuple[Any, str], Row] = {}

    def row(manager: uuid.UUID | None, currency: str) -> Row:
        return rows.setdefault(
            (manager, currency),
            {
                "account_manager_id": manager,
                "account_manager_name": None,  # read below for the managers found
                "currency": currency,
                "invoices": 0,
                "invoiced": Decimal(0),
                "collected": Decimal(0),
            },
        )

    def within(timezone: str, day: date | None) -> bool:
        """``day`` (None: the common period) is in the period of the zone's clients."""
        first, last = period(timezone)
        return day is None or first <= day <= last

    for manager, currency, timezone, day, count, total in await sums(
        Invoice,
        _unless_between(Invoice.issue_date, firsts[-1], lasts[0]),
        Invoice.total,
        Invoice.status.notin_((DRAFT, VOID)),
        Invoice.issue_date.between(firsts[0], lasts[-1]),
    ):
        if within(timezone, day):
            target = row(manager, currency)
            target["invoices"] += count
            target["invoiced"] += total
    for manager, currency, timezone, day, _, total in await sums(
        CreditNote,
        _unless_between(CreditNote.issue_date, firsts[-1], lasts[0]),
        CreditNote.total,
        CreditNote.issue_date.between(firsts[0], lasts[-1]),
    ):
        if within(timezone, day):
            row(manager, currency)["invoiced"] -= total
    # a payment counts from the start (UTC) of its client's first day: its key, the index of
    # the latest of the possible first days it is on or after
    since = case(
        *(
            (Payment.received_at >= _start_of(first), literal_column(str(i)))
            for i, first in reversed(list(enumerate(firsts)))
        ),
    )
    for manager, currency, timezone, i, _, total in await sums(
        Payment,
        since,
        Payment.amount,
        Payment.reversed_at.is_(None),
        Payment.received_at >= _start_of(firsts[0]),
        Payment.received_at < _end_of(end) if end else Payment.received_at <= now,
    ):
        if firsts[int(i)] >= period(timezone)[0]:
            row(manager, currency)["collected"] += total
    names = await staff_names(session, (manager for manager, _ in rows))
    for found in rows.values():
        found["account_manager_name"] = names.get(found["account_manager_id"])
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r["account_manager_name"] or "",
            str(r["account_manager_id"]),
            r["currency"],
        ),
    )
    return Report(
        "revenue",
        [
            "account_manager_id",
            "account_manager_name",
            "currency",
            "invoices",
            "invoiced",
            "collected",
        ],
        ["invoiced", "collected"],
        ordered,
        {"from": start, "to": end, "account_manager_id": account_manager_id},
    )


async def ltv(session: AsyncSession, caller: Caller, client_id: uuid.UUID | None = None) -> Report:
    """Per client and currency, over the whole relationship: invoiced (less credit notes),
    collected (reversed payments not), open."""
    client = client_replica.c
    rows: dict[tuple[uuid.UUID, str], Row] = {}

    def row(cid: uuid.UUID, name: str, currency: str) -> Row:
        return rows.setdefault(
            (cid, currency),
            {
                "client_id": cid,
                "client_name": name,
                "currency": currency,
                "invoices": 0,
                "first_invoice": None,
                "last_invoice": None,
                "invoiced": Decimal(0),
                "collected": Decimal(0),
                "open": Decimal(0),
            },
        )

    def per_client(entity: Any, *columns: Any) -> Select[Any]:
        keys = (client.id, client.name, entity.currency)
        stmt = (
            select(*keys, *columns)
            .join(client_replica, client.id == entity.client_id)
            .where(*_clients_in_scope(caller, None))
            .group_by(*keys)
        )
        return stmt if client_id is None else stmt.where(client.id == client_id)

    invoices = per_client(
        Invoice,
        func.count(),
        func.min(Invoice.issue_date),
        func.max(Invoice.issue_date),
        money_sum(money_sub(Invoice.total, Invoice.credited)),
        money_sum(money_sub(Invoice.total, Invoice.amount_paid)),
    ).where(Invoice.status.notin_((DRAFT, VOID)))
    for cid, name, currency, count, first, last, invoiced, open_amount in (
        await session.execute(invoices)
    ).all():
        target = row(cid, name, currency)
        target.update(invoices=count, first_invoice=first, last_invoice=last)
        target["invoiced"] += invoiced
        target["open"] += open_amount
    payments = per_client(Payment, money_sum(Payment.amount)).where(Payment.reversed_at.is_(None))
    for cid, name, currency, collected in (await session.execute(payments)).all():
        row(cid, name, currency)["collected"] += collected
    ordered = sorted(rows.values(), key=lambda r: (r["client_name"], r["currency"]))
    return Report(
        "ltv",
        [
            "client_id",
            "client_name",
            "currency",
            "invoices",
            "first_invoice",
            "last_invoice",
            "invoiced",
            "collected",
            "open",
        ],
        ["invoiced", "collected", "open"],
        ordered,
        {"client_id": client_id},
    )


class _DaysBetween(FunctionElement[int]):
    """SQL: the days from one date to a later one (``later - earlier``)."""

    type = Integer()
    inherit_cache = True


@compiles(_DaysBetween)
def _days_sql(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    return "({} - {})".format(*(compiler.process(c, **kw) for c in element.clauses))


@compiles(_DaysBetween, "sqlite")
def _days_sqlite(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@dataclass
class _Discipline:
    """What the payment-discipline report adds up of one client's invoices in a currency."""

    paid: int = 0
    late: int = 0
    days_late: int = 0
    receivables: Decimal = Decimal(0)
    overdue: Decimal = Decimal(0)
    recent: Decimal = Decimal(0)


async def payment_discipline(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> Report:
    """Per client and currency: invoices paid, the share paid on time, average days late
    (of the late ones), DSO (open receivables / invoiced over the last 90 days x 90) and the
    overdue balance; "today" is each client's own (its timezone's date at ``now``).

    The database counts and sums per client and currency (the days late too). Each client's
    today is one of three days (``_possible_todays``): an open invoice due before the first
    is overdue for every client, one issued after the last's 90 days back is recent for every
    client; those due or issued in between are summed per due or issue date, and counted for
    the clients whose today makes them overdue or recent."""
    days = _possible_todays(now)
    window = timedelta(days=DSO_DAYS)
    is_open = Invoice.status.in_(OPEN)
    balance = money_sub(Invoice.total, Invoice.amount_paid)
    paid = Invoice.paid_on.is_not(None) & Invoice.due_date.is_not(None)
    late = paid & (Invoice.paid_on > Invoice.due_date)
    # open and due before the last possible today (overdue for some clients at least): the
    # due dates on or after the first possible today are keys of their own
    overdue = is_open & (Invoice.due_date < days[-1])
    due_key = case((overdue & (Invoice.due_date >= days[0]), Invoice.due_date), else_=null())
    # issued after the first possible today's 90 days back (recent for some clients at least)
    recent = Invoice.issue_date > days[0] - window
    issue_key = case(
        (recent & (Invoice.issue_date <= days[-1] - window), Invoice.issue_date), else_=null()
    )
    client = client_replica.c
    keys = (client.id, client.name, client.account_manager_id, client.timezone, Invoice.currency)
    stmt = (
        select(
            *keys,
            due_key.label("due"),
            issue_key.label("issued"),
            func.count(case((paid, 1))),
            func.count(case((late, 1))),
            func.coalesce(
                func.sum(case((late, _DaysBetween(Invoice.paid_on, Invoice.due_date)))), 0
            ),
            money_sum(case((is_open, balance), else_=null())),
            money_sum(case((overdue, balance), else_=null())),
            money_sum(case((recent, Invoice.total), else_=null())),
        )
        .select_from(Invoice)
        .join(client_replica, client.id == Invoice.client_id)
        .where(*_clients_in_scope(caller, account_manager_id), Invoice.status.notin_((DRAFT, VOID)))
        .group_by(*keys, due_key, issue_key)
    )
    today = _today_of(now)
    names: dict[uuid.UUID, tuple[str, uuid.UUID | None]] = {}
    per: dict[tuple[uuid.UUID, str], _Discipline] = {}
    for row in await core_rows(session, stmt):
        cid, name, manager, timezone, currency, due, issued, *counts = row
        n_paid, n_late, days_late, receivables, overdue_sum, recent_sum = counts
        sums = per.get((cid, currency))
        if sums is None:
            names[cid] = (name, manager)
            sums = per[cid, currency] = _Discipline()
        sums.paid += n_paid
        sums.late += n_late
        sums.days_late += int(days_late)
        sums.receivables += receivables or 0
        day = today(timezone)
        if due is None or due < day:
            sums.overdue += overdue_sum or 0
        if issued is None or issued > day - window:
            sums.recent += recent_sum or 0
    rows = []
    for (cid, currency), sums in per.items():
        result = discipline_of(sums.paid, sums.late, sums.days_late)
        rows.append(
            {
                "client_id": cid,
                "client_name": names[cid][0],
                "account_manager_id": names[cid][1],
                "currency": currency,
                "invoices_paid": result.invoices_paid,
                "on_time_share": result.on_time_share,
                "average_days_late": result.average_days_late,
                "dso": dso(sums.receivables, sums.recent, DSO_DAYS),
                "overdue_balance": sums.overdue,
            }
        )
    # a UUID orders as its text does (fixed-width lowercase hex)
    rows.sort(key=lambda r: (r["client_name"], r["currency"], r["client_id"]))
    return Report(
        "payment-discipline",
        list(DISCIPLINE_COLUMNS),
        ["overdue_balance"],
        rows,
        {"at": now, "account_manager_id": account_manager_id},
    )


DISCIPLINE_COLUMNS = (
    "client_id",
    "client_name",
    "account_manager_id",
    "currency",
    "invoices_paid",
    "on_time_share",
    "average_days_late",
    "dso",
    "overdue_balance",
)


async def payment_discipline_json(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> str | None:
    """PostgreSQL: the rows of :func:`payment_discipline` as one JSON array, each row as
    ``api/exports.plain_rows`` writes it, made and written by the database; None on SQLite
    (its JSON is made from :func:`payment_discipline`'s rows).

    The session must not have begun (:func:`_written_on_todays`).

    A head's report has thousands of rows: made in Python they cost ~40 ms of the process per
    call (decoding ~3,000 sums, each client's shares, DSO and amount, then the JSON), which
    concurrent calls queue for. Here the database applies the same rules
    (``services/billing/domain/reports.py``: ``discipline_of``, ``dso``; amounts rounded
    half-up to the currency's minor unit, as ``shared.money.format_amount``) to each client's
    sums on its own today (its timezone's date at ``now``). Both ways give the same rows on
    the same data (``tests/integration/billing/test_reports_aggregation.py``)."""
    return await _written_on_todays(session, caller, now, account_manager_id, _discipline_json)


async def _written_on_todays(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    account_manager_id: uuid.UUID | None,
    statement: Callable[[Caller, bool], Select[Any]],
) -> str | None:
    """PostgreSQL: the JSON array of rows ``statement`` (of the caller, of one manager or not)
    writes on the todays of the clients in scope (:func:`_todays_in_scope`); None on
    SQLite. The session must not have begun: its transaction becomes a snapshot, so that the
    statement dating the invoices on those todays sees the same clients (in READ COMMITTED
    one whose timezone changed in between would be in neither's join, its new zone not among
    the days, and drop out of the report)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    days = await _todays_in_scope(session, caller, now, account_manager_id)
    if not days:
        return "[]"
    stmt = statement(caller, account_manager_id is not None)
    parameters = {"zones": list(days), "days": list(days.values()), "manager": account_manager_id}
    rows = await session.scalar(stmt, parameters)
    return rows or "[]"


async def _todays_in_scope(
    session: AsyncSession, caller: Caller, now: datetime, account_manager_id: uuid.UUID | None
) -> dict[str, date]:
    """The timezones of the clients in scope ("" for none) and each one's today at ``now``:
    the parameters ``zones`` and ``days`` of :func:`_zone_days`."""
    client = client_replica.c
    scope = _clients_in_scope(caller, account_manager_id)
    zones = await session.scalars(select(client.timezone).where(*scope).distinct())
    today = _today_of(now)
    return {zone or "": today(zone) for zone in zones}


def _clients_in_scope(caller: Caller, manager: Any) -> list[ColumnElement[bool]]:
    """SQL: the clients (of ``client_replica``) the caller sees, of ``manager`` (a value or a
    parameter) unless None."""
    client = client_replica.c
    scope = [manager_scope(caller, client.account_manager_id)]
    if manager is not None:
        scope.append(client.account_manager_id == manager)
    return scope


def _zone_days() -> Any:
    """SQL: the table (zone, day) of :func:`_todays_in_scope`; join it on
    ``coalesce(client.timezone, '')``."""
    return _table(
        ("zone", bindparam("zones", type_=ARRAY(String))),
        ("day", bindparam("days", type_=ARRAY(Date))),
    )


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _discipline_json(caller: Caller, by_manager: bool) -> Select[Any]:
    """The statement of :func:`payment_discipline_json` for ``caller`` (and one manager of
    theirs, the parameter ``manager``), each client's today from the parameters ``zones`` and
    ``days`` (a timezone, "" for none, and its date): built once, its compiled form cached."""
    client = client_replica.c
    scope = _clients_in_scope(caller, bindparam("manager") if by_manager else None)
    zone_days = _zone_days()
    day = zone_days.c.day
    is_open = Invoice.status.in_(OPEN)
    balance = Invoice.total - Invoice.amount_paid
    paid = Invoice.paid_on.is_not(None) & Invoice.due_date.is_not(None)
    late = paid & (Invoice.paid_on > Invoice.due_date)
    sums = (
        select(
            client.id,
            client.name,
            client.account_manager_id,
            Invoice.currency,
            func.count().filter(paid).label("paid"),
            func.count().filter(late).label("late"),
            func.sum(_DaysBetween(Invoice.paid_on, Invoice.due_date)).filter(late).label("days"),
            _decimal(func.coalesce(func.sum(balance).filter(is_open), 0)).label("receivables"),
            _decimal(
                func.coalesce(func.sum(balance).filter(is_open & (Invoice.due_date < day)), 0)
            ).label("overdue"),
            _decimal(func.sum(Invoice.total).filter(Invoice.issue_date > day - DSO_DAYS)).label(
                "recent"
            ),
        )
        .select_from(Invoice)
        .join(client_replica, client.id == Invoice.client_id)
        .join(zone_days, zone_days.c.zone == func.coalesce(client.timezone, ""))
        .where(*scope, Invoice.status.notin_((DRAFT, VOID)))
        .group_by(client.id, Invoice.currency, day)
        .subquery("per")
    )
    per = sums.c
    minor = _minor_table()
    on_time = func.round(_decimal(per.paid - per.late) / per.paid, 4)
    average_late = func.round(_decimal(per.days) / per.late, 1)
    dso = func.round(per.receivables * DSO_DAYS / per.recent, 1)
    fields = {
        "client_id": per.id,
        "client_name": per.name,
        "account_manager_id": per.account_manager_id,
        "currency": per.currency,
        "invoices_paid": per.paid,
        "on_time_share": _text(case((per.paid > 0, on_time))),
        "average_days_late": _text(
            case((per.late > 0, average_late), (per.paid > 0, literal_column("0.0")))
        ),
        "dso": _text(case((per.recent > 0, dso))),
        "overdue_balance": _text(func.round(per.overdue, func.coalesce(minor.c.places, 2))),
    }
    order = (per.name.collate("C"), per.currency, per.id)
    return json_array(sums.outerjoin(minor, minor.c.code == per.currency), fields, order)


def _table(*columns: tuple[str, Any]) -> Any:
    """SQL: a table of named columns from arrays of the same length (``unnest``)."""
    names = [name for name, _ in columns]
    return func.unnest(*(array for _, array in columns)).table_valued(*names).render_derived()


def _decimal(value: Any) -> ColumnElement[Decimal]:
    """SQL: ``value`` as an exact NUMERIC of any size (a sum's, not a column's 20 digits)."""
    return cast(value, Numeric)


def _text(value: Any) -> ColumnElement[str]:
    return cast(value, Text)


def _minor_table() -> Any:
    """SQL: the table (code, places) of the currencies whose minor unit is not 2 decimals;
    an amount shows ``round(amount, coalesce(places, 2))`` (``shared.money.format_amount``)."""
    units = _minor_units()
    return _table(
        ("code", bindparam("codes", list(units), type_=ARRAY(String))),
        ("places", bindparam("places", list(units.values()), type_=ARRAY(Integer))),
    )


@functools.cache
def _minor_units() -> dict[str, int]:
    """The currencies whose minor unit is not 2 decimals (JPY 0, KWD 3, ...)."""
    units = {code: minor_unit(code) for code in list_currencies()}
    return {code: places for code, places in units.items() if places != 2}


async def pipeline(
    session: AsyncSession, caller: Caller, account_manager_id: uuid.UUID | None = None
) -> Report:
    """Open opportunities by the client's account manager, stage and currency."""
    manager = client_replica.c.account_manager_id
    keys = (manager, Opportunity.stage, Opportunity.value_currency)
    stmt = (
        select(*keys, func.count(), money_sum(Opportunity.value_amount))
        .join(client_replica, client_replica.c.id == Opportunity.client_id)
        .where(*_clients_in_scope(caller, account_manager_id), Opportunity.stage.in_(OPEN_STAGES))
        .group_by(*keys)
    )
    found = (await session.execute(stmt)).all()
    names = await staff_names(session, (row[0] for row in found))
    rows = [
        {
            "account_manager_id": am,
            "account_manager_name": None if am is None else names.get(am),
            "stage": stage,
            "currency": currency,
            "opportunities": count,
            "value": value or Decimal(0),
        }
        for am, stage, currency, count, value in found
    ]
    order = {s: i for i, s in enumerate(OPEN_STAGES)}
    ordered = sorted(
        rows,
        key=lambda r: (
            r["account_manager_name"] or "",
            str(r["account_manager_id"]),
            order[r["stage"]],
            r["currency"] or "",
        ),
    )
    return Report(
        "pipeline",
        [
            "account_manager_id",
            "account_manager_name",
            "stage",
            "currency",
            "opportunities",
            "value",
        ],
        ["value"],
        ordered,
        {"account_manager_id": account_manager_id},
    )
