# ruff: noqa: RUF001 (Russian emails: Cyrillic on purpose)
"""An email to a client comes from their account manager: the signature, the From's display
name and the Reply-To; Orbit's own sender and the team's signature without one."""

from __future__ import annotations

from services.notifications.domain.senders import Sender, from_header, headers_of, signed
from services.notifications.emails import render

IDA = Sender("Ida Petrova", "Key Account <Manager>", "ida@orbit.example")
MINUTES = {
    "recipient_name": "Olga",
    "client_name": "Initech",
    "subject": "Review",
    "meeting_date": "2026-11-20",
    "summary": "Agreed.",
    "decisions": [],
    "next_steps": [],
    "amended": False,
    "reason": "",
}


def test_signed_by_the_manager_with_their_title_in_both_languages() -> None:
    en = render("meeting_minutes", "en", signed(MINUTES, IDA))
    assert en.text.endswith("Kind regards,\nIda Petrova\nKey Account <Manager>\n")
    assert "Ida Petrova<br>Key Account &lt;Manager&gt;</p>" in en.html
    ru = render("meeting_minutes", "ru", signed(MINUTES, IDA))
    assert ru.text.endswith("С уважением,\nIda Petrova\nKey Account <Manager>\n")
    untitled = render("meeting_minutes", "en", signed(MINUTES, Sender("Ida", None, "i@x")))
    assert untitled.text.endswith("Kind regards,\nIda\n")


def test_without_a_manager_the_team_signs() -> None:
    en = render("meeting_minutes", "en", signed(MINUTES, None))
    assert en.text.endswith("Kind regards,\nYour account team\n")
    ru = render("meeting_minutes", "ru", signed(MINUTES, None))
    assert "ваша команда по работе с клиентами" in ru.html


def test_headers() -> None:
    assert headers_of(IDA) == {"sender_name": "Ida Petrova", "reply_to": "ida@orbit.example"}
    assert headers_of(None) == {"sender_name": None, "reply_to": None}
    assert from_header("Orbit <orbit@acme.example>", "Ida Petrova") == (
        "Ida Petrova <orbit@acme.example>"
    )
    assert from_header("Orbit <orbit@acme.example>", None) == "Orbit <orbit@acme.example>"
    assert from_header("orbit@acme.example", "Пётр, Иванов") == (
        '"Пётр, Иванов" <orbit@acme.example>'
    )


def test_a_line_break_in_the_name_splits_no_header() -> None:
    assert from_header("orbit@acme.example", "Mia\r\nBcc: evil@evil.example") == (
        '"Mia Bcc: evil@evil.example" <orbit@acme.example>'
    )
    assert from_header("orbit@acme.example", " \r\n ") == "orbit@acme.example"
