"""Dates for tests that run on the real clock (``orbit serve`` processes, the system clock):
always derived from today, never written near it, so a test passes on any day
(`make test-clock` moves the clock of every process to prove it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def today() -> date:
    """UTC's date now (a client in UTC has the same)."""
    return datetime.now(UTC).date()


def overdue_issue() -> dict[str, str]:
    """The body of ``POST /invoices/{id}/issue`` for an invoice issued 30 days ago and due
    16 days ago: overdue in every time zone."""
    day = today()
    return {
        "issue_date": str(day - timedelta(days=30)),
        "due_date": str(day - timedelta(days=16)),
    }
