"""Client feedback: NPS (0-10) and CSAT (1-5) scores; a low one is flagged in its event.
Feedback entered by mistake is withdrawn with a reason (``feedback.withdrawn``): kept, shown
as withdrawn, counted nowhere."""

from __future__ import annotations

import uuid

from services.interactions.commands import FeedbackIn, FeedbackWithdrawIn
from services.interactions.domain import feedback as rules
from services.interactions.events import FeedbackReceivedV1, FeedbackWithdrawnV1
from services.interactions.snapshots import feedback_fields
from services.interactions.store import feedback as repo
from services.interactions.store.models import Feedback
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Conflict, Invalid
from shared.policies import policy_value
from shared.policy_replica import policy_documents
from shared.replicas import lock_client
from shared.uow import UnitOfWork

WRITERS = (Role.MANAGER, Role.HEAD, Role.ADMIN, Role.INTEGRATION)


async def record_feedback(uow: UnitOfWork, caller: Caller, command: FeedbackIn) -> Feedback:
    contacts = [] if command.contact_id is None else [command.contact_id]
    client = await lock_client(uow.session, caller, command.client_id, contacts)
    caller.require(*WRITERS)
    problem = rules.check_score(command.kind, command.score)
    if problem:
        raise Invalid.field("score", problem)
    if command.contact_id is not None and str(command.contact_id) not in client.contact_ids():
        raise Invalid.field("contact_id", "not a contact of this client")
    now = uow.clock.now()
    received = command.received_at or now
    if received > now:
        raise Invalid.field("received_at", "is in the future")
    documents = await policy_documents(uow.session, client.account_manager_department)
    low = rules.is_low(
        command.kind,
        command.score,
        nps_max=policy_value(
            documents, client.account_manager_department, "low_score.nps_max", rules.LOW_NPS_MAX
        ),
        csat_max=policy_value(
            documents, client.account_manager_department, "low_score.csat_max", rules.LOW_CSAT_MAX
        ),
    )
    item = Feedback(
        id=uuid.uuid4(),
        client_id=client.id,
        account_manager_id=client.account_manager_id,
        kind=command.kind,
        score=command.score,
        comment=command.comment or None,
        contact_id=command.contact_id,
        low=low,
        received_at=received,
        recorded_by=caller.id,
    )
    uow.session.add(item)
    await uow.session.flush()
    await uow.emit(
        FeedbackReceivedV1(
            **feedback_fields(item, client),
            comment=item.comment,
            contact_id=item.contact_id,
            recorded_by=caller.id,
        )
    )
    return item


async def withdraw_feedback(
    uow: UnitOfWork, caller: Caller, feedback_id: uuid.UUID, command: FeedbackWithdrawIn
) -> Feedback:
    """Withdraw feedback of a client the caller may see (404 otherwise; 409 when withdrawn
    already)."""
    client_id = (await repo.get_feedback(uow.session, caller, feedback_id)).client_id
    client = await lock_client(uow.session, caller, client_id)
    caller.require(*WRITERS)
    item = await repo.get_feedback(uow.session, caller, feedback_id, for_update=True)
    if item.withdrawn_at is not None:
        raise Conflict(f"feedback {feedback_id} was withdrawn already")
    item.withdrawn_at = uow.clock.now()
    item.withdrawn_by = caller.id
    item.withdrawn_reason = command.reason
    await uow.session.flush()
    await audit.record(
        uow,
        caller.id,
        "feedback",
        item.id,
        {"withdrawn_at": (None, item.withdrawn_at), "withdrawn_reason": (None, command.reason)},
    )
    await uow.emit(
        FeedbackWithdrawnV1(
            **feedback_fields(item, client),
            withdrawn_at=item.withdrawn_at,
            withdrawn_by=caller.id,
            reason=command.reason,
        )
    )
    return item
