"""Messages and email templates: every template in every language, multipart, the client
emails carrying what the client needs (number, amount, due date), the recipient's language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.notifications.domain.catalog import EVENT_TYPES
from services.notifications.domain.messages import (
    LANGUAGES,
    MESSAGES,
    describe,
    format_instant,
    language_of,
)
from services.notifications.domain.rules import CLIENT_TEMPLATES, DEFAULT_RULES
from services.notifications.emails import TEMPLATE_NAMES, TEMPLATES, build_message, render

CONTEXTS: dict[str, dict[str, Any]] = {
    "staff_alert": {
        "recipient_name": "Ida",
        "title": "SLA breached: Initech",
        "body": "Not answered <b>",
        "client_name": "Initech",
        "severity": "critical",
        "level": 1,
        "escalates": True,
    },
    "payment_reminder": {
        "recipient_name": "Olga",
        "client_name": "Initech",
        "number": "2026-000042",
        "balance": "1234.50",
        "total": "1500.00",
        "currency": "EUR",
        "due_date": "2026-11-01",
        "days_overdue": 7,
        "manager": None,
    },
    "meeting_minutes": {
        "recipient_name": "Olga",
        "client_name": "Initech",
        "subject": "Quarterly review",
        "meeting_date": "2026-11-20",
        "summary": "We agreed on the plan.",
        "decisions": ["Renew for a year"],
        "next_steps": ["Send the offer"],
        "amended": False,
        "reason": "",
        "manager": {"name": "Ida Petrova", "title": "Key Account <Manager>"},
    },
    "invoice_issued": {
        "recipient_name": "Olga",
        "client_name": "Initech",
        "number": "2026-000042",
        "total": "1500.00",
        "currency": "EUR",
        "issue_date": "2026-10-02",
        "due_date": "2026-11-01",
        "manager": {"name": "Ida", "title": None},
    },
    "meeting_invitation": {
        "recipient_name": "Olga",
        "client_name": "Initech",
        "change": "rescheduled",
        "kind": "meeting",
        "subject": "Review <b>",
        "when": "2026-12-10 12:00-13:00 (Europe/Moscow)",
        "previous_when": "2026-12-09 12:00-13:00 (Europe/Moscow)",
        "location": "Room <b>",
        "agenda": "Results",
        "reason": "Asked by the client",
        "manager": None,
    },
    "greeting": {
        "recipient_name": "Olga <b>",
        "client_name": "Initech",
        "birthday": False,
        "wish": "Happy New Year!",
        "year": 2027,
        "manager": None,
    },
    "digest": {"recipient_name": "Ida", "items": [{"subject": "A"}, {"subject": "B"}]},
}


def test_every_template_exists_in_every_language() -> None:
    files = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.j2")}
    assert files == {f"{lang}/{name}.j2" for lang in LANGUAGES for name in TEMPLATE_NAMES}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_templates_render_three_parts(name: str, language: str) -> None:
    email = render(name, language, CONTEXTS[name])  # type: ignore[arg-type]
    assert email.subject and "\n" not in email.subject
    assert email.text.strip()
    assert email.html.startswith("<!doctype html>")
    assert f'lang="{language}"' in email.html
    assert "<b>" not in email.html  # escaped


def test_payment_reminder_says_number_amount_and_due_date_in_both_languages() -> None:
    en = render("payment_reminder", "en", CONTEXTS["payment_reminder"])
    ru = render("payment_reminder", "ru", CONTEXTS["payment_reminder"])
    for email in (en, ru):
        for part in (email.subject, email.text, email.html):
            assert "2026-000042" in part
            assert "1234.50 EUR" in part
            assert "2026-11-01" in part
    assert "Overdue" in en.subject and "Просрочена" in ru.subject
    assert "Dear Olga" in en.text and "Уважаемый(ая) Olga" in ru.text
    before = render("payment_reminder", "en", CONTEXTS["payment_reminder"] | {"days_overdue": -3})
    assert before.subject.startswith("Reminder")


def test_multipart_message() -> None:
    email = render("meeting_minutes", "ru", CONTEXTS["meeting_minutes"])
    message = build_message(
        sender="Orbit <orbit@example.com>",
        to="olga@example.com",
        subject=email.subject,
        text=email.text,
        html=email.html,
        delivery_id=uuid.UUID(int=7),
        language="ru",
        when=datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Message-ID"] == f"<{uuid.UUID(int=7)}@example.com>"
    assert "Итоги" in str(message["Subject"])
    assert message["Content-Language"] == "ru"


@pytest.mark.parametrize(
    ("language", "subject", "why"),
    [
        ("en", "Corrected minutes of our meeting: Quarterly review", "Reason for the correction"),
        ("ru", "Исправленные итоги нашей встречи: Quarterly review", "Причина исправления"),
    ],
)
def test_amended_minutes_say_corrected_and_why(language: Any, subject: str, why: str) -> None:
    from services.notifications.domain.dispatch import client_context

    data = {"subject": "Quarterly review", "occurred_at": "2026-11-20T10:00:00+00:00"}
    contact = {"name": "Olga"}
    amended = data | {"revision": 1, "reason": "The date of the <b>offer</b>", "summary": "New"}
    context = client_context("meeting_minutes", amended, contact) | {"manager": None}
    email = render("meeting_minutes", language, context)
    assert email.subject.startswith(subject)
    assert f"{why}: The date of the <b>offer</b>" in email.text
    assert f"{why}: The date of the &lt;b&gt;offer&lt;/b&gt;" in email.html
    context = client_context("meeting_minutes", data, contact) | {"manager": None}
    first = render("meeting_minutes", language, context)
    assert "orrected" not in first.subject + first.text and "Исправлен" not in first.subject
    assert why not in first.text


def test_languages() -> None:
    assert language_of("ru-RU") == "ru"
    assert language_of(None, "ru") == "ru"
    assert language_of("de", "ru") == "ru"
    assert language_of("en-GB", "ru") == "en"
    assert language_of(None, None) == "en"
    assert language_of("") == "en"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_rule_has_a_message(language: str) -> None:
    for rule in DEFAULT_RULES:
        short = rule.event_type.split(".", 2)[2].rsplit(".", 1)[0]
        assert short in MESSAGES
        title, body = describe(rule.event_type, {"client_name": "Initech"}, language)  # type: ignore[arg-type]
        assert "Initech" in title + body or short in (
            "meeting.report_submitted",
            "meeting.report_amended",
            "task.overdue",
        )


def test_invoice_message_has_number_amount_and_days() -> None:
    title, body = describe(
        "orbit.billing.invoice.overdue.v1",
        {
            "client_name": "Initech",
            "number": "2026-000042",
            "balance": "1234.50",
            "currency": "EUR",
            "due_date": "2026-11-01",
            "days_overdue": 7,
        },
        "en",
    )
    assert title == "Invoice 2026-000042 overdue: Initech, 1234.50 EUR"
    assert "7 days overdue" in body
    generic = describe("orbit.billing.invoice.paid.v1", {"client_name": "Initech"}, "ru")
    assert "Initech" in generic[0]
    assert all(t in EVENT_TYPES for t in (r.event_type for r in DEFAULT_RULES))


@pytest.mark.parametrize(
    ("instant", "zone", "language", "expected"),
    [
        # near midnight UTC: already the next day in Tokyo
        ("2031-12-06T23:30:00+00:00", "Asia/Tokyo", "en", "7 Dec 2031, 08:30 (Asia/Tokyo)"),
        ("2031-12-06T23:30:00+00:00", "Asia/Tokyo", "ru", "7 декабря 2031, 08:30 (Asia/Tokyo)"),
        # and still the day before in New York
        ("2031-12-07T01:15:00Z", "America/New_York", "en", "6 Dec 2031, 20:15 (America/New_York)"),
        ("2031-07-01T12:00:00+00:00", "Europe/Berlin", "ru", "1 июля 2031, 14:00 (Europe/Berlin)"),
        ("2031-12-06T23:30:00", "Nowhere/Atlantis", "en", "6 Dec 2031, 23:30 (UTC)"),
        (datetime(2031, 12, 6, 23, 30, tzinfo=UTC), None, "en", "6 Dec 2031, 23:30 (UTC)"),
    ],
)
def test_instants_in_the_readers_zone(
    instant: Any, zone: Any, language: Any, expected: str
) -> None:
    assert format_instant(instant, zone, language) == expected


def test_messages_print_instants_in_the_zone_and_say_the_new_alerts() -> None:
    data = {
        "client_name": "Initech",
        "request_id": str(uuid.uuid4()),
        "subject": "Report",
        "due_at": "2031-12-06T23:30:00+00:00",
    }
    _, body = describe("orbit.interactions.sla.at_risk.v1", data, "en", "Asia/Tokyo")
    assert (
        body
        == "The request \u201cReport\u201d of Initech is due by 7 Dec 2031, 08:30 (Asia/Tokyo)."
    )
    birthday = {"client_name": "Initech", "name": "Olga", "birthday": "2026-12-10"}
    title, body = describe(
        "orbit.clients.contact.birthday_upcoming.v1", birthday | {"days_ahead": 4, "age": 40}, "en"
    )
    assert title == "Birthday on 2026-12-10: Olga, Initech"
    assert body == "Olga of Initech celebrates a birthday on 2026-12-10 (turns 40): in 4 days."
    _, body = describe(
        "orbit.clients.contact.birthday_upcoming.v1",
        birthday | {"days_ahead": 4, "age": None},
        "ru",
    )
    assert body == "Olga (Initech) празднует день рождения 2026-12-10: через 4 дн."
    meeting = {"client_name": "Initech", "subject": "Kick-off", "kind": "call", "location": None}
    meeting["starts_at"] = "2026-12-07T09:00:00+00:00"
    _, body = describe("orbit.interactions.meeting.reminder.v1", meeting, "ru", "Europe/Moscow")
    assert body.startswith("Звонок \u00abKick-off\u00bb с клиентом Initech начинается")  # noqa: RUF001
    assert body.endswith(" 7 декабря 2026, 12:00 (Europe/Moscow).")


@pytest.mark.parametrize("template", sorted(set(CLIENT_TEMPLATES.values())))
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_client_email_has_its_unsent_notices(template: str, language: Any) -> None:
    """A client email nobody can receive becomes a notice to the manager: each template of
    the rules has its entity and both causes' words (an issued invoice once lacked them)."""
    from services.notifications.domain.dispatch import UNSENT_ENTITY
    from services.notifications.domain.messages import describe_unsent

    assert template in UNSENT_ENTITY
    data = {"client_name": "Initech", "number": "2026-000042", "subject": "Review"}
    for cause in ("no_contacts", "no_email"):
        title, body = describe_unsent(template, cause, data, ["Jane"], language)
        assert "Initech" in title + body
