"""The scheduled reports: a daily, weekly and monthly email to each head (their team) and
each admin with a staff record (everyone), at ``ORBIT_REPORT_LOCAL_TIME`` in the recipient's
timezone, in their locale, with the scorecard workbook attached.

Two jobs. ``scorecard_reports`` writes one ``sc_reports`` row per recipient, period kind and
period (the unique key: however often the scan runs and however many replicas run it, one
report); ``scorecard_mail`` sends the pending rows (a row locked while it is sent, so two
replicas never send one twice), retrying a refusal up to ``ORBIT_REPORT_MAX_ATTEMPTS`` (an
unreachable server: until it is back).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from services.notifications.scorecard import mailer
from services.notifications.scorecard.domain.deviations import (
    Deviation,
    churned,
    overdue_grew,
    sla_fell,
)
from services.notifications.scorecard.domain.kpis import Tally
from services.notifications.scorecard.domain.periods import (
    PERIODS,
    Period,
    Span,
    completed_span,
    utc_bounds,
)
from services.notifications.scorecard.preferences import subscriptions
from services.notifications.scorecard.report import Audience, Scorecard, scorecard_for
from services.notifications.scorecard.settings import ScorecardSettings
from services.notifications.scorecard.store import queries
from services.notifications.scorecard.store.models import sc_reports
from services.notifications.scorecard.store.queries import StaffRow
from services.notifications.scorecard.workbook import to_xlsx
from services.notifications.settings import parse_smtp_url
from services.notifications.smtp import send_messages
from shared.clock import local_date
from shared.db import insert_ignore
from shared.scheduler import ScheduledJob
from shared.settings import OrbitSettings
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.scorecard")

# The words of the email in each locale (templates/messages.json).
MESSAGES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "templates" / "messages.json").read_text(encoding="utf-8")
)


def is_due(period: Period, today: date) -> bool:
    """Daily reports every day, weekly on Mondays, monthly on the 1st."""
    return (
        period == "day"
        or (period == "week" and today.weekday() == 0)
        or (period == "month" and today.day == 1)
    )


def report_id(recipient_id: uuid.UUID, period: str, start: date) -> uuid.UUID:
    """The deterministic id of one report (one per recipient, period kind and period)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"orbit:scorecard-report:{recipient_id}:{period}:{start}")


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


async def _deviations(session: Any, who: Audience, card: Scorecard) -> list[Deviation]:
    found: list[Deviation] = []
    for member in card.members:
        now = card.current_tallies.get(member.id, Tally()).values()["sla_compliance"]
        before = card.previous_tallies.get(member.id, Tally()).values()["sla_compliance"]
        deviation = sla_fell(member.name, cast(Decimal | None, now), cast(Decimal | None, before))
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
    locale = mailer.locale_of(person.locale)
    words = MESSAGES[locale]
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
    html = mailer.render_html(
        locale,
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
    uow_factory: UnitOfWorkFactory, now: datetime, settings: ScorecardSettings
) -> int:
    """Write the reports due at ``now`` that are not written yet; how many were written."""
    async with uow_factory() as uow:
        staff = await queries.all_staff(uow.session)
    written = 0
    for person, who in recipients(staff):
        if now.astimezone(ZoneInfo(person.timezone)).time() < settings.report_local_time:
            continue
        async with uow_factory() as uow:
            wanted = await subscriptions(uow.session, person.id)
        today = local_date(now, person.timezone)
        for period in settings.report_periods:
            if (
                not wanted.get(period, False)
                or period not in PERIODS
                or period == "quarter"
                or not is_due(cast(Period, period), today)
            ):
                continue
            span = completed_span(cast(Period, period), today)
            written += await _write_report(uow_factory, person, who, span, now)
    return written


async def _write_report(
    uow_factory: UnitOfWorkFactory, person: StaffRow, who: Audience, span: Span, now: datetime
) -> int:
    row_id = report_id(person.id, span.period, span.start)
    async with uow_factory() as uow:
        if await uow.session.scalar(select(sc_reports.c.id).where(sc_reports.c.id == row_id)):
            return 0
        card = await scorecard_for(uow.session, who, span.period, span.start)
        deviations = await _deviations(uow.session, who, card)
        subject, html = _html(person, card, deviations, span.period)
        inserted = await insert_ignore(
            uow.session,
            sc_reports,
            {
                "id": row_id,
                "recipient_id": person.id,
                "period": span.period,
                "period_start": span.start,
                "email": person.email,
                "locale": mailer.locale_of(person.locale),
                "subject": subject,
                "html": html,
                "attachment_name": f"scorecard-{span.period}-{span.label}.xlsx",
                "attachment": to_xlsx(card),
                "status": "pending",
                "attempts": 0,
                "created_at": now,
            },
        )
        await uow.commit()
    return int(inserted)


async def send_reports(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: ScorecardSettings
) -> int:
    """Send the pending reports, one row locked per send (``SKIP LOCKED``: another replica
    takes the next), the way every email is sent (``services.notifications.smtp``); how many
    were sent."""
    if not settings.smtp_url:
        return 0
    target = parse_smtp_url(settings.smtp_url)
    sent = 0
    while True:
        async with uow_factory() as uow:
            query = (
                select(sc_reports)
                .where(sc_reports.c.status == "pending")
                .order_by(sc_reports.c.created_at, sc_reports.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            row = (await uow.session.execute(query)).mappings().first()
            if row is None:
                return sent
            mail = mailer.message(
                report_id=row["id"],
                sender=settings.report_from,
                to=row["email"],
                locale=row["locale"],
                subject=row["subject"],
                html=row["html"],
                attachment_name=row["attachment_name"],
                attachment=row["attachment"],
                when=now,
            )
            (outcome,) = await send_messages(
                target, [mail], timeout_seconds=settings.report_smtp_timeout_seconds
            )
            values: dict[str, Any]
            if not outcome.ok:
                attempts = row["attempts"] + 1
                log.warning(
                    "report %s to %s not sent (attempt %d): %s",
                    row["id"],
                    row["email"],
                    attempts,
                    outcome.error,
                )
                values = {"attempts": attempts, "last_error": (outcome.error or "failed")[:2000]}
                # an unreachable server is an outage, not the report's fault: kept pending
                # however long it lasts; a refusal counts, a 5xx ends it at once
                if outcome.permanent or (
                    not outcome.unavailable and attempts >= settings.report_max_attempts
                ):
                    values["status"] = "failed"
                await uow.session.execute(
                    update(sc_reports).where(sc_reports.c.id == row["id"]).values(**values)
                )
                await uow.commit()
                return sent  # the server refuses: try again at the next run
            values = {"status": "sent", "sent_at": now, "attempts": row["attempts"] + 1}
            await uow.session.execute(
                update(sc_reports).where(sc_reports.c.id == row["id"]).values(**values)
            )
            await uow.commit()
            sent += 1


def scheduled_jobs(settings: OrbitSettings) -> Mapping[str, ScheduledJob]:
    own = (
        settings
        if isinstance(settings, ScorecardSettings)
        else ScorecardSettings(**settings.model_dump())
    )

    async def scorecard_reports(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await write_reports(uow_factory, now, own)

    async def scorecard_mail(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await send_reports(uow_factory, now, own)

    return {"scorecard_reports": scorecard_reports, "scorecard_mail": scorecard_mail}
