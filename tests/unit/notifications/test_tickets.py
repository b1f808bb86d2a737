"""The stream-ticket rule: opaque, stored hashed, refused when unknown, used, expired or
foreign."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.domain.tickets import (
    TicketState,
    new_ticket,
    ticket_digest,
    ticket_expiry,
    ticket_refusal,
)

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # fixed: the rule takes its clock as input
OWNER = uuid.uuid4()


def state(*, used: bool = False, expires_in: float = 60) -> TicketState:
    return TicketState(OWNER, ticket_expiry(NOW, expires_in), used)


def test_tickets_are_random_url_safe_and_stored_as_a_digest() -> None:
    tickets = {new_ticket() for _ in range(100)}
    assert len(tickets) == 100
    ticket = tickets.pop()
    assert len(ticket) >= 43 and ticket.replace("-", "").replace("_", "").isalnum()
    digest = ticket_digest(ticket)
    assert len(digest) == 64 and ticket not in digest
    assert digest == ticket_digest(ticket) != ticket_digest(new_ticket())


def test_a_fresh_ticket_of_the_caller_opens_the_stream() -> None:
    assert ticket_refusal(state(), NOW) is None
    assert ticket_refusal(state(), NOW, bearer=OWNER) is None
    assert ticket_refusal(state(expires_in=60), NOW + timedelta(seconds=59.9)) is None


def test_unknown_used_expired_and_foreign_tickets_are_refused() -> None:
    assert "unknown" in str(ticket_refusal(None, NOW))
    assert "already used" in str(ticket_refusal(state(used=True), NOW))
    assert "expired" in str(ticket_refusal(state(expires_in=60), NOW + timedelta(seconds=60)))
    assert "another staff member" in str(ticket_refusal(state(), NOW, bearer=uuid.uuid4()))


def test_a_used_ticket_is_refused_even_before_it_expires_and_by_its_owner() -> None:
    assert ticket_refusal(state(used=True, expires_in=3600), NOW, bearer=OWNER) is not None
