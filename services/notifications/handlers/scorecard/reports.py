"""The scheduled reports: a daily, weekly and monthly email to each head (their team) and
each admin with a staff record (everyone), at the time of the recipient's department's
``report_schedules`` (``/api/v1/settings``; else ``ORBIT_NOTIFICATIONS_REPORT_LOCAL_TIME``) in
their timezone, in their language, with the scorecard workbook attached; a manager's SLA
compliance falling by the department's ``scorecard_deviation_points`` (else 5) is a
deviation.

:func:`write_reports` (the ``scorecard_reports`` job) writes each report due as an email
``deliveries`` row (its key unique per recipient, period kind and period: however often the
job runs and however many replicas run it, one report); the email delivery worker sends it
like every email, outside any transaction, with the same retries.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from services.notifications.domain.messages import language_of
from services.notifications.domain.scorecard.deviations import (
    SLA_DROP_POINTS,
    Deviation,
    churned,
    overdue_grew,
    sla_fell,
)
from services.notifications.domain.scorecard.kpis import Tally
from services.notifications.domain.scorecard.periods import Span, completed_span, utc_bounds
from services.notifications.domain.scorecard.reports import (
    EVENT_TYPE,
    TEMPLATE,
    ReportPolicy,
    due_reports,
    report_id,
    report_key,
    report_policy,
)
from services.notifications.emails import REPORT_PLAIN, REPORT_WORDS, render_report
from services.notifications.handlers.preferences import report_subscriptions
from services.notifications.handlers.scorecard.report import Audience, Scorecard, scorecard_for
from services.notifications.handlers.scorecard.workbook import to_xlsx
from services.notifications.settings import NotificationsSettings
from services.notifications.store import repository as repo
from services.notifications.store.scorecard import queries
from services.notifications.store.scorecard.queries import StaffRow
from shared.clock import local_date
from shared.policy_replica import every_policy_document
from shared.uow import UnitOfWorkFactory


def recipients(staff: list[StaffRow]) -> list[tuple[StaffRow, Audience]]:
    """Each active head (their team) and admin with a staff record (everyone)."""
    out = []
    for person in staff:
        if not person.active or person.role not in ("head", "admin"):
            continue
        if person.role == "admin":
            out.append((person, Audience(staff, None, person.timezone)))
        else:
            team = queries.team_of(person, staff)
            out.append((person, Audience(team, {m.id for m in team}, person.timezone)))
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{format(v, ',f')} {c}" for c, v in value.items()) or "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _change(now: Any, before: Any) -> str:
    if isinstance(now, dict) and isinstance(before, dict):
        deltas = {
            c: now.get(c, Decimal(0)) - before.get(c, Decimal(0))
            for c in sorted(set(now) | set(before))
        }
        return (
            ", ".join(f"{'+' if v >= 0 else ''}{format(v, 'f')} {c}" for c, v in deltas.items())
            or "0"
        )
    if now is None or before is None:
        return "—"
    delta = Decimal(now) - Decimal(before)
    return f"{'+' if delta >= 0 else ''}{format(delta, 'f')}"


async def _deviations(
    session: Any, who: Audience, card: Scorecard, points: Decimal
) -> list[Deviation]:
    found: list[Deviation] = []
    for member in card.members:
        now = card.current_tallies.get(member.id, Tally()).values()["sla_compliance"]
        before = card.previous_tallies.get(member.id, Tally()).values()["sla_compliance"]
        deviation = sla_fell(
            member.name, cast(Decimal | None, now), cast(Decimal | None, before), points
        )
        if deviation:
            found.append(deviation)
    _, end_at = utc_bounds(card.span, who.timezone)
    _, prev_end_at = utc_bounds(card.previous, who.timezone)
    per_client: dict[tuple[Any, str], list[dict[str, Decimal]]] = {}
    for index, (end, at) in enumerate(((card.span.end, end_at), (card.previous.end, prev_end_at))):
        for row in await queries.overdue_balances(session, who.managers, end, at):
            key = (row["client_id"], row["client_name"] or str(row["client_id"]))
            sides = per_client.setdefault(key, [{}, {}])
            sides[index][row["currency"]] = (
                sides[index].get(row["currency"], Decimal(0)) + row["balance"]
            )
    for (_, name), (now_money, before_money) in sorted(per_client.items(), key=lambda kv: kv[0][1]):
        deviation = overdue_grew(name, now_money, before_money)
        if deviation:
            found.append(deviation)
    start_at, _ = utc_bounds(card.span, who.timezone)
    found += churned(await queries.churned_clients(session, who.managers, start_at, end_at))
    return found


def _html(
    person: StaffRow, card: Scorecard, deviations: list[Deviation], period: str
) -> tuple[str, str]:
    language = language_of(person.locale)
    words = REPORT_WORDS[language]
    now = Tally()
    for tally in card.current_tallies.values():
        now.add(tally)
    before = Tally()
    for tally in card.previous_tallies.values():
        before.add(tally)
    current, previous = now.values(), before.values()
    headline = [
        {
            "label": label,
            "current": _fmt(current[kpi]),
            "previous": _fmt(previous[kpi]),
            "change": _change(current[kpi], previous[kpi]),
        }
        for kpi, label in words["kpi"].items()
    ]
    title = f"{words['title'][period]}: {card.span.label}"
    if person.role == "admin":
        scope = words["scope_everyone"]
    else:
        scope = words["scope_team"].format(person.department or person.name)
    html = render_report(
        language,
        title=title,
        scope=scope,
        start=card.span.start.isoformat(),
        end=card.span.last_day.isoformat(),
        timezone=card.timezone,
        headline=headline,
        deviations=deviations,
    )
    return title, html


async def write_reports(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: NotificationsSettings
) -> int:
    """Write the reports due at ``now`` that are not written yet; how many were written."""
    async with uow_factory() as uow:
        staff = await queries.all_staff(uow.session)
        documents = await every_policy_document(uow.session)
    default = ReportPolicy(
        settings.notifications_report_local_time,
        tuple(settings.notifications_report_periods),
        SLA_DROP_POINTS,
    )
    written = 0
    for person, who in recipients(staff):
        policy = report_policy(documents, person.department, default)
        if now.astimezone(ZoneInfo(person.timezone)).time() < policy.local_time:
            continue
        async with uow_factory() as uow:
            chosen = await report_subscriptions(uow.session, person.id)
        today = local_date(now, person.timezone)
        for period in due_reports(policy.periods, chosen, today):
            span = completed_span(period, today)
            written += await _write_report(uow_factory, person, who, span, now, policy)
    return written


async def _write_report(
    uow_factory: UnitOfWorkFactory,
    person: StaffRow,
    who: Audience,
    span: Span,
    now: datetime,
    policy: ReportPolicy,
) -> int:
    key = report_key(person.id, span.period, span.start)
    async with uow_factory() as uow:
        if await repo.has_delivery(uow.session, key):
            return 0
        card = await scorecard_for(uow.session, who, span.period, span.start)
        deviations = await _deviations(uow.session, who, card, policy.deviation_points)
        subject, html = _html(person, card, deviations, span.period)
        row_id = report_id(person.id, span.period, span.start)
        inserted = await repo.add_delivery(
            uow.session,
            {
                "id": row_id,
                "key": key,
                "channel": "email",
                "status": "pending",
                "event_id": row_id,
                "event_type": EVENT_TYPE,
                "severity": "info",
                "recipient_kind": "staff",
                "recipient_id": person.id,
                "address": person.email,
                "template": TEMPLATE,
                "locale": language_of(person.locale),
                "subject": subject,
                "text_body": REPORT_PLAIN,
                "html_body": html,
                "attachment_name": f"scorecard-{span.period}-{span.label}.xlsx",
                "attachment": to_xlsx(card),
                "digest": False,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        await uow.commit()
    return int(inserted)
