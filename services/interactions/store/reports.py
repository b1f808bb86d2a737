"""The read-side queries of the reports, scoped like every other query. Each returns plain
rows (dicts); the API renders them as JSON, CSV or Excel (``api/exports.py``)."""

from __future__ import annotations

import functools
import uuid
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.domain import cadence, stats
from services.interactions.domain.feedback import nps_group
from services.interactions.domain.interactions import TYPES
from services.interactions.domain.sla_report import (
    SlaCounts,
    SlaGroup,
    Spread,
    callback_minutes,
    sla_figures,
)
from services.interactions.domain.sla_report import total as total_counts
from services.interactions.store.models import (
    ContactCadence,
    Feedback,
    Interaction,
    MeetingReport,
    Request,
)
from shared.auth import Caller
from shared.db import UTCDateTime, core_rows, json_array
from shared.replicas import (
    SCOPE_CACHE_SIZE,
    client_replica,
    manager_scope,
    staff_names,
    staff_replica,
)


def _range(column: Any, since: Any, until: Any) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def _sla_base(
    columns: list[Any],
    caller: Caller,
    account_manager_id: Any,
    since: Any,
    until: Any,
) -> Select[Any]:
    """``columns`` of the requests opened in ``[since, until)`` of the clients in scope (of
    one manager unless ``account_manager_id`` is None; each a value or a parameter). The
    scope goes through the request's copy of its client's account manager: a scope's requests
    are read from the index of a manager's requests by opening (on PostgreSQL it carries the
    columns the report counts, ``SLA_REPORT_COLUMNS``), not joined to the clients."""
    manager = Request.account_manager_id
    stmt = select(*columns).where(
        manager_scope(caller, manager), *_range(Request.opened_at, since, until)
    )
    if account_manager_id is not None:
        stmt = stmt.where(manager == account_manager_id)
    return stmt


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sla_counts(now: Any) -> list[Any]:
    """The counts of :class:`SlaCounts` (but the missed calls) as aggregates at ``now`` (an
    instant or a parameter)."""
    answered = Request.answered_at.is_not(None)
    unanswered = Request.answered_at.is_(None)
    past_due_open = and_(Request.status == "open", Request.due_at <= now)
    return [
        func.count().label("requests"),
        _count(answered).label("answered"),
        _count(and_(answered, ~Request.breached, Request.answered_at <= Request.due_at)).label(
            "answered_on_time"
        ),
        _count(
            or_(
                Request.breached,
                and_(unanswered, past_due_open),
                and_(answered, Request.answered_at > Request.due_at),
            )
        ).label("breached"),
        _count(and_(unanswered, or_(Request.breached, past_due_open))).label("unanswered_breached"),
    ]


# the requests that count (those closed as not real requests are counted apart), the missed
# calls among them, and of those the called back
_LIVE = Request.status != "closed"
_ANSWERED = Request.answered_at.is_not(None)


def _missed_calls(base: Select[Any]) -> Select[Any]:
    return base.join(Interaction, Interaction.id == Request.interaction_id).where(
        _LIVE, Request.interaction_type == "call", Interaction.missed
    )


_OVERALL = object()  # the key of the overall row of ``GROUPING SETS``


def _spread(minutes: Any, where: ColumnElement[bool]) -> list[Any]:
    """SQL: :class:`Spread` of ``minutes`` of the rows ``where``: the median
    (``percentile_cont``: the mean of the two middle ones) and the nearest-rank p90."""
    return [
        cast(func.percentile_cont(0.5).within_group(minutes).filter(where), Float),
        cast(func.percentile_disc(0.9).within_group(minutes).filter(where), Float),
    ]


SlaGroups = tuple[dict[Any, SlaGroup], SlaGroup]  # per account manager, and overall


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _sla_in_sql(
    caller: Caller, by_manager: bool, since: bool, until: bool
) -> tuple[Select[Any], Select[Any]]:
    """The two statements of :func:`sla_groups` on PostgreSQL for ``caller``, of one manager
    of theirs or not, from and until an instant or not (the parameters ``now``, ``manager``,
    ``since``, ``until``): the counts and first-response spreads, then the missed calls and
    their call-back spreads, per manager and overall. Built once, their compiled forms
    cached (a head's took ~20 % of the process's time per call to build and key)."""

    def base(*columns: Any) -> Select[Any]:
        return _sla_base(
            list(columns),
            caller,
            bindparam("manager") if by_manager else None,
            bindparam("since", type_=UTCDateTime) if since else None,
            bindparam("until", type_=UTCDateTime) if until else None,
        )

    manager = Request.account_manager_id
    overall = func.grouping(manager)
    by = func.grouping_sets(tuple_(manager), tuple_())
    now = bindparam("now", type_=UTCDateTime)
    minutes = Request.response_minutes
    counted = base(manager, overall, *_sla_counts(now), *_spread(minutes, _ANSWERED))
    # the clock minutes a caller waited for the call back (``domain/calls.callback_minutes``)
    waited = func.greatest(
        0, func.floor(func.extract("epoch", Request.answered_at - Request.opened_at) / 60)
    )
    calls = _missed_calls(base(manager, overall, func.count(), *_spread(waited, _ANSWERED)))
    return counted.where(_LIVE).group_by(by), calls.group_by(by)


async def sla_groups(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    account_manager_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    in_sql: bool,
) -> SlaGroups:
    """The counts and spreads of :func:`sla_report` per account manager and overall: all of
    them computed by PostgreSQL when ``in_sql`` (one row per manager and one overall, of
    ``GROUPING SETS``), else counted in the database per manager and number of minutes, the
    missed calls read one by one, and the spreads computed in Python (SQLite has no
    percentiles). A test compares both ways on PostgreSQL."""

    def base(*columns: Any) -> Select[Any]:
        return _sla_base(list(columns), caller, account_manager_id, since, until)

    manager = Request.account_manager_id
    if in_sql:
        counted, calls = _sla_in_sql(
            caller, account_manager_id is not None, since is not None, until is not None
        )
        values = {"now": now, "manager": account_manager_id, "since": since, "until": until}
        groups: dict[Any, SlaGroup] = {}
        for manager_id, everyone, *row in await core_rows(session, counted, values):
            counts = SlaCounts(*(int(n) for n in row[:5]))
            groups[_OVERALL if everyone else manager_id] = SlaGroup(counts, Spread(*row[5:]))
        for manager_id, everyone, n, *spread in await core_rows(session, calls, values):
            key = _OVERALL if everyone else manager_id
            group = groups.get(key, SlaGroup(SlaCounts()))
            counts = replace(group.counts, missed_calls=n)
            groups[key] = replace(group, counts=counts, callbacks=Spread(*spread))
        return groups, groups.pop(_OVERALL, SlaGroup(SlaCounts()))

    # Grouped by manager and first-response minutes (of the answered requests): the counts
    # add up per manager, and the minutes' median and p90 come from their multiplicities.
    answered_minutes = case((_ANSWERED, Request.response_minutes), else_=None)
    rows = await core_rows(
        session,
        base(manager, answered_minutes, *_sla_counts(now))
        .where(_LIVE)
        .group_by(manager, answered_minutes),
    )
    sums: dict[Any, SlaCounts] = defaultdict(SlaCounts)
    minutes_of: dict[Any, Counter[float]] = defaultdict(Counter)
    for manager_id, value, *row in rows:
        sums[manager_id] += SlaCounts(*(int(n) for n in row))
        if value is not None:
            minutes_of[manager_id][value] += int(row[0])
    missed: dict[Any, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    called = _missed_calls(base(manager, Request.opened_at, Request.answered_at))
    for manager_id, opened_at, answered_at in await core_rows(session, called):
        missed[manager_id].append((opened_at, answered_at))
    waits: dict[Any, Counter[float]] = {m: Counter(callback_minutes(missed[m])) for m in sums}
    groups = {
        m: SlaGroup(
            replace(counts, missed_calls=len(missed[m])),
            Spread.of(minutes_of[m]),
            Spread.of(waits[m]),
        )
        for m, counts in sums.items()
    }
    everyone = SlaGroup(
        total_counts(g.counts for g in groups.values()),
        Spread.of(sum((minutes_of[m] for m in groups), Counter())),
        Spread.of(sum(waits.values(), Counter())),
    )
    return groups, everyone


async def sla_report(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    account_manager_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    """Requests opened in ``[since, until)`` (those closed as not real requests left out,
    counted apart per close code in ``closed``): counts, compliance (first responses on time
    of the requests decided: answered, or breached without an answer) and the median and
    p90 of first-response business minutes;
    the missed calls among them and the clock minutes their callers waited for a call back
    (median, p90 of those answered); overall and per account manager.

    Counted in the database (:func:`sla_groups`): no request is read into Python on
    PostgreSQL."""
    groups, everyone = await sla_groups(
        session,
        caller,
        now,
        account_manager_id=account_manager_id,
        since=since,
        until=until,
        in_sql=session.get_bind().dialect.name == "postgresql",
    )
    names = await staff_names(session, set(groups))
    managers = sorted(
        (
            {"account_manager_id": m, "name": names.get(m), **sla_figures(group)}
            for m, group in groups.items()
        ),
        key=lambda m: ((m["name"] or "~").lower(), str(m["account_manager_id"])),
    )
    return {
        "from": since,
        "to": until,
        "account_manager_id": account_manager_id,
        **sla_figures(everyone),
        "closed": await _closed(session, caller, account_manager_id, since, until),
        "managers": managers,
    }


async def _closed(
    session: AsyncSession,
    caller: Caller,
    account_manager_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, int]:
    """The requests opened in the period and closed as not real ones, per close code."""
    stmt = _sla_base(
        [Request.close_code, func.count()], caller, account_manager_id, since, until
    ).where(Request.status == "closed")
    rows = (await session.execute(stmt.group_by(Request.close_code))).all()
    return {str(code): n for code, n in sorted(rows)}


async def contact_cadence_report(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    account_manager_id: uuid.UUID | None,
    overdue_only: bool,
) -> list[dict[str, Any]]:
    """Per client the caller may see: last outbound contact, cadence, when the next contact
    is due and the days overdue (most overdue first).

    The scope's clients come from ``client_replica``'s index by account manager (it carries
    their name and status on PostgreSQL), then each one's cadence by its primary key: on
    PostgreSQL a ``LATERAL`` lookup per client: of a plain join the planner makes a hash join
    of the whole ``contact_cadence``, even for a head's tenth of it."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    stmt = _cadences(caller, account_manager_id is not None, overdue_only, postgresql, True)
    parameters = {"now": now, "manager": account_manager_id}
    rows = await core_rows(session, stmt, parameters)
    names = await staff_names(session, {r.account_manager_id for r in rows})
    return [
        {
            "client_id": r.id,
            "client_name": r.name,
            "status": r.status,
            "account_manager_id": r.account_manager_id,
            "account_manager_name": names.get(r.account_manager_id),
            "last_contact_at": r.last_contact_at,
            "contact_cadence_days": r.cadence_days,
            "next_contact_due_at": r.due_at,
            "overdue": r.due_at <= now,
            "days_overdue": cadence.days_overdue(r.due_at, now),
        }
        for r in rows
    ]


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _cadences(
    caller: Caller, by_manager: bool, overdue_only: bool, postgresql: bool, ordered: bool
) -> Select[Any]:
    """The scope's clients and their cadence (``contact_cadence_report``), soonest due first
    when ``ordered``; the parameters ``now`` and ``manager``. Built once per caller and
    kind: its compiled form is cached."""
    cadences: Any = ContactCadence.__table__
    on: ColumnElement[bool] = cadences.c.client_id == client_replica.c.id
    if postgresql:
        cadences = (
            select(cadences.c.last_contact_at, cadences.c.cadence_days, cadences.c.due_at)
            .where(on)
            .limit(1)  # one row (the primary key): keeps the lookup a nested loop
            .lateral("cadence")
        )
        on = true()
    stmt = (
        select(
            client_replica.c.id,
            client_replica.c.name,
            client_replica.c.status,
            client_replica.c.account_manager_id,
            cadences.c.last_contact_at,
            cadences.c.cadence_days,
            cadences.c.due_at,
        )
        .select_from(client_replica)
        .join(cadences, on)
        .where(manager_scope(caller, client_replica.c.account_manager_id))
    )
    if by_manager:
        stmt = stmt.where(client_replica.c.account_manager_id == bindparam("manager"))
    if overdue_only:
        stmt = stmt.where(cadences.c.due_at <= bindparam("now", type_=UTCDateTime))
    if ordered:
        stmt = stmt.order_by(cadences.c.due_at, client_replica.c.id)
    return stmt


async def contact_cadence_json(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    account_manager_id: uuid.UUID | None,
    overdue_only: bool,
) -> str | None:
    """PostgreSQL: the rows of :func:`contact_cadence_report` as one JSON array, each as
    ``CadenceRow`` is written (instants in UTC with a ``Z``), made and written by the
    database; None on SQLite. A head's report is ~3,000 rows: made and written in Python they
    cost ~30 ms of the process per call. ``days_overdue`` is ``domain/cadence.days_overdue``
    in SQL; a test compares both ways on the same data."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    stmt = _cadence_json(caller, account_manager_id is not None, overdue_only)
    rows = await session.scalar(stmt, {"now": now, "manager": account_manager_id})
    return rows or "[]"


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _cadence_json(caller: Caller, by_manager: bool, overdue_only: bool) -> Select[Any]:
    rows = _cadences(caller, by_manager, overdue_only, True, False).subquery("rows")
    row = rows.c
    manager = staff_replica.alias("manager")
    now = bindparam("now", type_=UTCDateTime)
    late = func.extract("epoch", now - row.due_at) / 86400
    fields = {
        "client_id": row.id,
        "client_name": row.name,
        "status": row.status,
        "account_manager_id": row.account_manager_id,
        "account_manager_name": manager.c.name,
        "last_contact_at": _instant(row.last_contact_at),
        "contact_cadence_days": row.cadence_days,
        "next_contact_due_at": _instant(row.due_at),
        "overdue": row.due_at <= now,
        "days_overdue": case((row.due_at < now, cast(func.floor(late), Integer)), else_=0),
    }
    source = rows.outerjoin(manager, manager.c.id == row.account_manager_id)
    return json_array(source, fields, (row.due_at, row.id))


# to_char's patterns of an instant as the API writes it, with and without its microseconds
_WHOLE_SECOND: ColumnElement[str] = literal_column("""'YYYY-MM-DD"T"HH24:MI:SS"Z"'""")
_MICROSECONDS: ColumnElement[str] = literal_column("""'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'""")


def _instant(value: Any) -> ColumnElement[str]:
    """SQL: an instant as the API writes it: ISO 8601 in UTC with a ``Z``, the microseconds
    when there are any (``2026-11-24T09:00:00Z``, ``2026-11-24T09:00:00.120000Z``)."""
    whole = func.mod(func.extract("microseconds", value), 1_000_000) == 0
    pattern = case((whole, _WHOLE_SECOND), else_=_MICROSECONDS)
    return func.to_char(func.timezone("UTC", value), pattern)


Scores = dict[tuple[str, int, bool], int]  # (kind, score, low) -> how many


def _feedback_stats(scores: Scores) -> dict[str, Any]:
    """The figures of the feedback counted per kind, score and low flag."""
    nps_scores = [s for (kind, s, _), n in scores.items() if kind == "nps" for _ in range(n)]
    csat_scores = [s for (kind, s, _), n in scores.items() if kind == "csat" for _ in range(n)]
    groups = [nps_group(s) for s in nps_scores]
    promoters, detractors = groups.count("promoter"), groups.count("detractor")
    return {
        "responses": sum(scores.values()),
        "nps_responses": len(nps_scores),
        "promoters": promoters,
        "passives": groups.count("passive"),
        "detractors": detractors,
        "nps": stats.nps(promoters, detractors, len(nps_scores)),
        "csat_responses": len(csat_scores),
        "csat_avg": stats.mean(csat_scores),
        "low": sum(n for (_, _, low), n in scores.items() if low),
    }


async def feedback_report(
    session: AsyncSession,
    caller: Caller,
    *,
    account_manager_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    """Feedback received in ``[since, until)`` and not withdrawn: NPS (promoters 9-10,
    passives 7-8, detractors 0-6) and the CSAT average; overall and per account manager.

    Counted in the database per account manager, kind, score and low flag (a score is one of
    0-10): no feedback row is read into Python. The manager is the feedback's copy of its
    client's (kept current with the replica): the scope's managers' feedback is read from
    their index (``FEEDBACK_REPORT_COLUMNS``), not the whole table joined to the clients."""
    manager = Feedback.account_manager_id
    keys = (manager, Feedback.kind, Feedback.score, Feedback.low)
    stmt = (
        select(*keys, func.count())
        .where(
            manager_scope(caller, manager),
            Feedback.withdrawn_at.is_(None),
            *_range(Feedback.received_at, since, until),
        )
        .group_by(*keys)
    )
    if account_manager_id is not None:
        stmt = stmt.where(manager == account_manager_id)
    by_manager: dict[Any, Scores] = defaultdict(dict)
    everyone: Scores = defaultdict(int)
    for manager_id, kind, score, low, n in (await session.execute(stmt)).all():
        key = (kind, score, bool(low))
        by_manager[manager_id][key] = by_manager[manager_id].get(key, 0) + n
        everyone[key] += n
    names = await staff_names(session, set(by_manager))
    managers = sorted(
        (
            {"account_manager_id": m, "name": names.get(m), **_feedback_stats(g)}
            for m, g in by_manager.items()
        ),
        key=lambda m: ((m["name"] or "~").lower(), str(m["account_manager_id"])),
    )
    return {
        "from": since,
        "to": until,
        "account_manager_id": account_manager_id,
        **_feedback_stats(everyone),
        "managers": managers,
    }


async def activity_report(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    account_manager_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """Per member of staff who logged interactions (with clients the caller may see) in
    ``[since, until)``: interactions by type, meetings held, their reports on time, late, or
    missing past their deadline (retracted interactions left out)."""
    # the scope's interactions by their copy of the client's manager: read from one index of
    # each manager's (``ACTIVITY_REPORT_COLUMNS``), not the table (a head's ~10 % of it), once:
    # counted per author and type, with their meetings' reports on time or late (a report
    # without its on-time flag is late: looked up for the submitted meetings alone, by its
    # key), or missing past their deadline; the others pending
    meeting = Interaction.type == "meeting"
    submitted = meeting & Interaction.report_submitted_at.is_not(None)
    on_time = (
        select(MeetingReport.on_time)
        .where(MeetingReport.interaction_id == Interaction.id)
        .scalar_subquery()
    )
    overdue = Interaction.report_due_at.is_not(None) & (Interaction.report_due_at < now)
    counts = (
        select(
            Interaction.author_id,
            Interaction.type,
            func.count(),
            func.count().filter(submitted & on_time.is_(True)),
            func.count().filter(submitted & on_time.is_not(True)),
            func.count().filter(meeting & Interaction.report_submitted_at.is_(None) & overdue),
        )
        .where(
            manager_scope(caller, Interaction.account_manager_id),
            *_range(Interaction.occurred_at, since, until),
            Interaction.retracted_at.is_(None),
        )
        .group_by(Interaction.author_id, Interaction.type)
    )
    if account_manager_id is not None:
        counts = counts.where(Interaction.author_id == account_manager_id)
    out: dict[Any, dict[str, Any]] = {}

    def entry(author: Any) -> dict[str, Any]:
        return out.setdefault(
            author,
            {
                "staff_id": author,
                "name": None,
                "interactions": 0,
                "by_type": dict.fromkeys(TYPES, 0),
                "meetings": 0,
                "reports_on_time": 0,
                "reports_late": 0,
                "reports_missing": 0,
                "reports_pending": 0,
            },
        )

    for author, kind, count, in_time, late, missing in await core_rows(session, counts):
        e = entry(author)
        e["interactions"] += count
        e["by_type"][kind] = e["by_type"].get(kind, 0) + count
        if kind == "meeting":
            e["meetings"] += count
            e["reports_on_time"] += in_time
            e["reports_late"] += late
            e["reports_missing"] += missing
            e["reports_pending"] += count - in_time - late - missing
    names = await staff_names(session, set(out))
    for author, e in out.items():
        e["name"] = names.get(author)
        e["reports_on_time_pct"] = stats.pct(
            e["reports_on_time"], e["meetings"] - e["reports_pending"]
        )
    return sorted(out.values(), key=lambda e: ((e["name"] or "~").lower(), str(e["staff_id"])))
