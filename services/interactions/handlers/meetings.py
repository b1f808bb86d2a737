"""Planned meetings and calls: scheduled with a client's contacts and staff, rescheduled with
a reason, cancelled, or marked held — which logs the interaction through the same use case
as ``POST /api/v1/interactions`` (a ``meeting``, whose report falls due as for any meeting;
a planned call logs a ``call``). Each change is announced in its unit of work
(``meeting.scheduled``, ``meeting.rescheduled``, ``meeting.cancelled``; held: the
``interaction.logged`` of the new interaction)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.interactions.commands import (
    InteractionIn,
    MeetingCancelIn,
    MeetingHeldIn,
    MeetingIn,
    MeetingRescheduleIn,
)
from services.interactions.domain import planned
from services.interactions.events import (
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MeetingScheduledV1,
)
from services.interactions.handlers.interactions import (
    WRITERS,
    contact_problems,
    invalid,
    log_interaction,
)
from services.interactions.settings import InteractionsSettings
from services.interactions.snapshots import planned_meeting_fields
from services.interactions.store import clients
from services.interactions.store import meetings as repo
from services.interactions.store.models import PlannedMeeting
from shared import audit
from shared.auth import Caller
from shared.errors import Conflict, Forbidden
from shared.replicas import ClientView, lock_client
from shared.uow import UnitOfWork

# A planned meeting's fields in its audit trail (``GET /api/v1/meetings/{id}/audit``): as
# scheduled, then each change (rescheduled, cancelled, held: its interaction).
MEETING_FIELDS = (
    "client_id",
    "kind",
    "subject",
    "agenda",
    "location",
    "starts_at",
    "ends_at",
    "status",
    "contact_ids",
    "staff_ids",
    "organizer_id",
    "interaction_id",
    "reason",
)


async def _staff_problems(uow: UnitOfWork, staff_ids: list[uuid.UUID]) -> dict[str, str]:
    found = {
        f"staff_ids.{index}": "not an active member of staff"
        for index, staff_id in enumerate(staff_ids)
        if not await clients.active_staff(uow.session, staff_id)
    }
    if len(set(staff_ids)) != len(staff_ids):
        found.setdefault("staff_ids", "a member of staff is named twice")
    return found


async def schedule_meeting(uow: UnitOfWork, caller: Caller, command: MeetingIn) -> PlannedMeeting:
    """Plan a meeting with a client the caller may see (404 otherwise): in the future, with
    the client's contacts and active staff (422 naming each field at fault); the caller
    organises it and is among its staff."""
    client = await lock_client(uow.session, caller, command.client_id, command.contact_ids)
    caller.require(*WRITERS)
    now = uow.clock.now()
    found = planned.slot_problems(command.starts_at, command.ends_at, now)
    found.update(contact_problems(client, command.contact_ids))
    found.update(await _staff_problems(uow, command.staff_ids))
    if found:
        raise invalid(found)
    staff = [caller.id, *(s for s in command.staff_ids if s != caller.id)]
    meeting = PlannedMeeting(
        id=uuid.uuid4(),
        client_id=client.id,
        kind=command.kind,
        subject=command.subject,
        agenda=command.agenda or None,
        location=command.location or None,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        status="planned",
        contact_ids=[str(c) for c in command.contact_ids],
        staff_ids=[str(s) for s in staff],
        organizer_id=caller.id,
        sequence=0,
        interaction_id=None,
        reason=None,
        created_at=now,
        updated_at=now,
        reminder_notified=False,
        no_outcome_notified=False,
    )
    uow.session.add(meeting)
    await uow.session.flush()  # the meeting before its participants (their foreign key)
    uow.session.add_all(repo.participants(meeting))
    await uow.session.flush()
    await audit.created(uow, caller, "meeting", meeting, MEETING_FIELDS)
    await uow.emit(MeetingScheduledV1(**planned_meeting_fields(meeting, client)))
    return meeting


async def _locked_meeting(
    uow: UnitOfWork, caller: Caller, meeting_id: uuid.UUID, action: planned.MeetingAction
) -> tuple[PlannedMeeting, ClientView, dict[str, object]]:
    """The meeting, its client and its audited state before the change (for
    :func:`_changed`): the client locked first (as by every use
    case emitting its events), the meeting read under that lock; 404 when the caller may not
    see the meeting, 403 when they see it only as an invited participant or their role
    changes nothing, 409 when its state does not allow ``action``."""
    client_id = await repo.meeting_client_id(uow.session, caller, meeting_id)
    client = await lock_client(uow.session, None, client_id)
    if not await clients.sees_client(uow.session, caller, client_id):
        raise Forbidden("only the client's team changes a meeting; participants see it")
    caller.require(*WRITERS)
    meeting = await repo.get_meeting(uow.session, caller, meeting_id, for_update=True)
    before = audit.state(meeting, MEETING_FIELDS)
    try:
        meeting.status = planned.transition(meeting.status, action)
    except planned.TransitionError as exc:
        raise Conflict(str(exc)) from exc
    meeting.sequence = planned.next_sequence(meeting.sequence, action)
    meeting.updated_at = uow.clock.now()
    return meeting, client, before


async def _changed(
    uow: UnitOfWork, caller: Caller, meeting: PlannedMeeting, before: dict[str, object]
) -> None:
    await uow.session.flush()
    await audit.changed(uow, caller, "meeting", meeting, before, MEETING_FIELDS)


async def reschedule_meeting(
    uow: UnitOfWork, caller: Caller, meeting_id: uuid.UUID, command: MeetingRescheduleIn
) -> PlannedMeeting:
    """Move a planned meeting to a new time in the future; its reminder and no-outcome
    alert follow the new time."""
    meeting, client, before = await _locked_meeting(uow, caller, meeting_id, "reschedule")
    found = planned.slot_problems(command.starts_at, command.ends_at, uow.clock.now())
    if found:
        raise invalid(found)
    previous_starts, previous_ends = meeting.starts_at, meeting.ends_at
    meeting.starts_at, meeting.ends_at = command.starts_at, command.ends_at
    meeting.reason = command.reason
    meeting.reminder_notified = False
    meeting.no_outcome_notified = False
    await _changed(uow, caller, meeting, before)
    await uow.emit(
        MeetingRescheduledV1(
            **planned_meeting_fields(meeting, client),
            previous_starts_at=previous_starts,
            previous_ends_at=previous_ends,
            reason=command.reason,
        )
    )
    return meeting


async def cancel_meeting(
    uow: UnitOfWork, caller: Caller, meeting_id: uuid.UUID, command: MeetingCancelIn
) -> PlannedMeeting:
    meeting, client, before = await _locked_meeting(uow, caller, meeting_id, "cancel")
    meeting.reason = command.reason
    await _changed(uow, caller, meeting, before)
    await uow.emit(
        MeetingCancelledV1(**planned_meeting_fields(meeting, client), reason=command.reason)
    )
    return meeting


async def mark_held(
    uow: UnitOfWork,
    caller: Caller,
    meeting_id: uuid.UUID,
    command: MeetingHeldIn,
    settings: InteractionsSettings,
) -> PlannedMeeting:
    """The meeting took place (409 before it began): log its interaction — a ``meeting`` (a
    ``call`` for a planned call) at the planned start, with its subject and the participants
    still the client's contacts — by the interaction log's own use case, so the contact
    cadence moves and a meeting's report falls due as for any meeting."""
    meeting, client, before = await _locked_meeting(uow, caller, meeting_id, "held")
    tolerance = timedelta(minutes=settings.interactions_occurred_at_tolerance_minutes)
    try:
        planned.check_held(meeting.starts_at, uow.clock.now(), tolerance)
    except planned.TransitionError as exc:
        raise Conflict(str(exc)) from exc
    known = client.contact_ids()
    interaction = await log_interaction(
        uow,
        caller,
        InteractionIn(
            client_id=meeting.client_id,
            type=meeting.kind,  # meeting or call
            direction="outbound",
            occurred_at=meeting.starts_at,
            subject=meeting.subject,
            summary=command.summary,
            contact_ids=[uuid.UUID(c) for c in meeting.contact_ids if c in known],
        ),
        settings,
    )
    interaction.meeting_id = meeting.id
    meeting.interaction_id = interaction.id
    await _changed(uow, caller, meeting, before)
    return meeting
