"""Call records of the telephony integrations: matched by the client's number to a contact
(and so a client and its manager) and turned into what a manager would have logged — a
missed inbound call opening its callback request at once, an answered call logged with its
duration, a call back to that number answering the request; an unknown number kept
unmatched until a manager assigns it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.interactions.commands import CallAssignIn, CallIn, InteractionIn
from services.interactions.domain import calls as rules
from services.interactions.handlers.interactions import WRITERS, log_interaction
from services.interactions.handlers.unmatched import claim
from services.interactions.settings import InteractionsSettings
from services.interactions.store import calls as repo
from services.interactions.store.models import Call
from shared.auth import Caller, Role
from shared.errors import Invalid
from shared.replicas import ClientView, clients_with_contact, lock_client
from shared.uow import UnitOfWork

# The author of a call logged for a client without an account manager.
NO_AUTHOR = uuid.UUID(int=0)


async def receive_call(
    uow: UnitOfWork,
    integration: str,
    external_id: str,
    command: CallIn,
    settings: InteractionsSettings,
) -> Call:
    """Keep a call record (once per ``external_id`` of the integration: the caller of this use
    case replays a repeat) and act on it when its number is a contact's."""
    now = uow.clock.now()
    tolerance = timedelta(minutes=settings.interactions_occurred_at_tolerance_minutes)
    if command.started_at > now + tolerance:
        raise Invalid.field("started_at", "is in the future: send a call once it has ended")
    raw = rules.outside_number(command.direction, command.from_, command.to)
    number = rules.e164(raw, settings.interactions_call_default_region)
    call = Call(
        id=uuid.uuid4(),
        integration=integration,
        external_id=external_id,
        direction=command.direction,
        from_number=command.from_,
        to_number=command.to,
        number=number,
        started_at=command.started_at,
        duration_seconds=command.duration_seconds,
        answered=command.answered,
        recording_url=command.recording_url,
        outcome="unmatched",
        received_at=now,
    )
    uow.session.add(call)
    if number is not None:
        clients = await clients_with_contact(uow.session, "phone", number)
        found = rules.match_contact(number, [(c.id, c.contacts) for c in clients])
        if found is not None:
            client = await lock_client(uow.session, None, found[0])
            await _act(uow, call, client, found[1], settings)
    await uow.session.flush()
    return call


async def assign_call(
    uow: UnitOfWork,
    caller: Caller,
    call_id: uuid.UUID,
    command: CallAssignIn,
    settings: InteractionsSettings,
) -> Call:
    """An unmatched call is a client's (one the caller may see: 404 otherwise): it is acted
    on as a matched one would have been. 409 when it is matched already."""
    caller.require(*WRITERS)
    call = await repo.get_call(uow.session, caller, call_id, for_update=True)
    matched = call.client_id is not None
    conflict = f"call {call_id} is matched already (client {call.client_id})" if matched else None
    client = await claim(uow, caller, call, command, conflict)
    await _act(uow, call, client, command.contact_id, settings)
    await uow.session.flush()
    return call


async def _act(
    uow: UnitOfWork,
    call: Call,
    client: ClientView,
    contact_id: uuid.UUID | None,
    settings: InteractionsSettings,
) -> None:
    """The call is the client's: log it as the client's account manager would have (through
    the interaction log's own use case, so its requests, SLA and events are the same), a call
    to a number whose missed call waits for its callback answering that request."""
    call.client_id = client.id
    call.contact_id = contact_id
    call.outcome = rules.outcome(call.direction, call.answered)
    if call.outcome == "attempt":
        return
    callback = None
    if call.direction == "outbound" and call.number is not None:
        callback = await repo.open_callback(uow.session, client.id, call.number, call.started_at)
    number = call.number or rules.outside_number(call.direction, call.from_number, call.to_number)
    author = Caller(client.account_manager_id or NO_AUTHOR, Role.ADMIN)
    interaction = await log_interaction(
        uow,
        author,
        InteractionIn(
            client_id=client.id,
            type="call",
            direction=call.direction,
            occurred_at=call.started_at,
            subject=rules.subject(call.direction, number),
            summary=rules.summary(call.answered, call.duration_seconds, call.recording_url),
            contact_ids=[contact_id] if contact_id else [],
            missed=call.outcome == "missed",
            responds_to=callback.interaction_id if callback else None,
        ),
        settings,
    )
    call.interaction_id = interaction.id
    call.request_id = callback.id if callback else interaction.request_id
