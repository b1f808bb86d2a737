"""Rules of email in (services/interactions/domain/mail.py): parsing, threads, automatic
mail, the outcome and whether a mail opens a request."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial

import pytest

from services.interactions.commands import PostmarkAttachment
from services.interactions.domain.mail import (
    TEXT_MAX,
    Attachment,
    AttachmentRetry,
    InboundMail,
    attachment_entry,
    attachment_expired,
    attachment_file_id,
    attachment_status,
    next_attempt,
    occurred_at,
    opens_request,
    outcome,
    parse_mail,
    provider_mail,
    unreadable,
)

NOW = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)


def raw(body: str = "Hello", html: str | None = None, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Olga Petrova <Olga@Client.Example>"
    message["Subject"] = "Invoice   question "
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def test_a_message_is_parsed_into_what_orbit_keeps() -> None:
    mail = parse_mail(
        raw(
            "Where is it?",
            Message_ID="<a1@client.example>",
            In_Reply_To="<orbit-2@orbit.example>",
            References="<orbit-1@orbit.example> <orbit-2@orbit.example>",
            Date="Tue, 04 Mar 2031 09:30:00 +0100",
        ),
        "<fallback@x>",
    )
    assert mail.message_id == "<a1@client.example>"
    assert mail.sender == "olga@client.example"
    assert mail.subject == "Invoice question"
    assert mail.text == "Where is it?"
    assert mail.sent_at == datetime(2031, 3, 4, 8, 30, tzinfo=UTC)
    assert mail.thread() == ["<orbit-2@orbit.example>", "<orbit-1@orbit.example>"]
    assert not mail.automatic and mail.attachments == ()


def test_without_a_message_id_the_fallback_stands_for_it() -> None:
    mail = parse_mail(raw(), "<uid.7.12@mailbox.orbit>")
    assert mail.message_id == "<uid.7.12@mailbox.orbit>"
    assert mail.sent_at is None and mail.thread() == []


def test_a_header_the_parser_cannot_read_is_taken_as_it_is() -> None:
    broken = b"From: a@b.example\r\nMessage-ID: <>\r\nIn-Reply-To: <>\r\n\r\nbody"
    mail = parse_mail(broken, "<uid.7.12@mailbox.orbit>")
    assert (mail.message_id, mail.sender, mail.in_reply_to) == (
        "<uid.7.12@mailbox.orbit>",
        "a@b.example",
        None,
    )
    assert unreadable("<uid.7.13@mailbox.orbit>").subject == "(unreadable message)"


def test_the_text_is_the_plain_part_else_the_html_without_tags_cut_at_the_limit() -> None:
    assert parse_mail(raw("plain", html="<p>rich</p>"), "<x>").text == "plain"
    message = EmailMessage()
    message.set_content("<p>Fish &amp; <b>chips</b></p>", subtype="html")
    assert parse_mail(message.as_bytes(), "<x>").text == "Fish &  chips"
    assert len(parse_mail(raw("x" * (TEXT_MAX + 10)), "<x>").text) == TEXT_MAX


def test_attachments_are_listed_with_their_sizes() -> None:
    message = EmailMessage()
    message.set_content("see attached")
    message.add_attachment(
        b"%PDF-1.7 ...", maintype="application", subtype="pdf", filename="act.pdf"
    )
    mail = parse_mail(message.as_bytes(), "<x>")
    assert mail.attachments == (Attachment("act.pdf", "application/pdf", 12),)
    assert mail.attachments[0].content == b"%PDF-1.7 ..."  # its bytes, to be kept


def test_an_attachment_is_kept_for_logged_mail_and_held_for_unmatched_mail() -> None:
    carried = Attachment("act.pdf", "application/pdf", 3, b"PDF")
    listed_only = Attachment("log.txt", "text/plain", 42)  # a provider's, without Content
    assert attachment_status(carried, "logged") == "pending"
    assert attachment_status(carried, "unmatched") == "held"  # kept once it is assigned
    assert attachment_status(carried, "ignored") == "not_kept"
    assert attachment_status(listed_only, "logged") == "not_kept"
    assert attachment_status(listed_only, "unmatched") == "not_kept"
    assert attachment_status(Attachment("e.txt", "text/plain", 0, b""), "logged") == "pending"


RETRY = AttachmentRetry(
    max_attempts=5,
    max_age=timedelta(days=7),
    first_delay=timedelta(seconds=30),
    max_delay=timedelta(hours=6),
)


def test_an_attachment_expires_after_its_attempts_or_its_age_whichever_first() -> None:
    since = NOW - timedelta(days=1)
    assert not attachment_expired(0, since, NOW, RETRY)
    assert not attachment_expired(4, since, NOW, RETRY)
    assert attachment_expired(5, since, NOW, RETRY)  # the fifth failure: given up on
    assert attachment_expired(12, since, NOW, RETRY)
    # the age: never tried (a held one, or the files down ahead of it) expires all the same
    week = NOW - timedelta(days=7)
    assert attachment_expired(0, week, NOW, RETRY)
    assert not attachment_expired(0, week + timedelta(seconds=1), NOW, RETRY)
    assert not attachment_expired(0, NOW, NOW, RETRY)


def test_the_delay_before_the_next_attempt_doubles_up_to_its_cap() -> None:
    delays = [next_attempt(n, NOW, RETRY) - NOW for n in range(1, 7)]
    assert delays == [timedelta(seconds=30 * 2**k) for k in range(6)]
    assert next_attempt(11, NOW, RETRY) - NOW == timedelta(hours=6)  # 30 s x 1024: capped
    assert next_attempt(10_000, NOW, RETRY) - NOW == timedelta(hours=6)  # no overflow
    assert next_attempt(0, NOW, RETRY) - NOW == timedelta(seconds=30)


def test_an_attachment_s_file_id_is_the_same_for_the_same_message_and_position() -> None:
    email = uuid.UUID("8e3f55a4-1f7e-4d0c-9d7e-3b2a1c0d9e8f")
    assert attachment_file_id(email, 0) == attachment_file_id(email, 0)
    ids = {attachment_file_id(email, 0), attachment_file_id(email, 1)}
    ids.add(attachment_file_id(uuid.UUID(int=email.int + 1), 0))
    assert len(ids) == 3


def test_an_attachment_is_listed_without_its_content() -> None:
    file_id = uuid.UUID(int=7)
    entry = attachment_entry(Attachment("a.pdf", "application/pdf", 3, b"PDF"), "kept", file_id)
    assert entry == {
        "filename": "a.pdf",
        "content_type": "application/pdf",
        "size": 3,
        "status": "kept",
        "file_id": str(file_id),
    }


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        ({}, False),
        ({"Auto_Submitted": "no"}, False),
        ({"Auto_Submitted": "auto-replied"}, True),
        ({"Precedence": "bulk"}, True),
        ({"Precedence": "List"}, True),
        ({"List_Id": "<news.client.example>"}, True),
    ],
)
def test_automatic_mail(headers: dict[str, str], automatic: bool) -> None:
    assert parse_mail(raw(**headers), "<x>").automatic is automatic


def mail(automatic: bool = False, sent_at: datetime | None = None) -> InboundMail:
    return InboundMail("<m@x>", "a@b", "s", "t", sent_at, None, (), automatic, ())


def test_the_outcome() -> None:
    assert outcome(mail(), matched=True, in_thread=False) == "logged"
    assert outcome(mail(), matched=False, in_thread=False) == "unmatched"
    assert outcome(mail(automatic=True), matched=True, in_thread=False) == "ignored"
    assert outcome(mail(automatic=True), matched=False, in_thread=False) == "ignored"
    assert outcome(mail(automatic=True), matched=True, in_thread=True) == "logged"


def test_a_persons_mail_opens_a_request_unless_its_thread_has_one() -> None:
    week = timedelta(days=7)
    rule = partial(opens_request, received=NOW, max_age=week)
    assert rule(mail(), enabled=True, thread_has_open_request=False)
    assert not rule(mail(), enabled=True, thread_has_open_request=True)
    assert not rule(mail(), enabled=False, thread_has_open_request=False)
    assert not rule(mail(automatic=True), enabled=True, thread_has_open_request=False)
    # history (read when the mailbox is connected) is logged, opens no request
    assert rule(mail(sent_at=NOW - week), enabled=True, thread_has_open_request=False)
    old = mail(sent_at=NOW - week - timedelta(seconds=1))
    assert not rule(old, enabled=True, thread_has_open_request=False)


def test_it_occurred_when_sent_but_never_after_it_was_read() -> None:
    assert occurred_at(mail(sent_at=NOW - timedelta(hours=1)), NOW) == NOW - timedelta(hours=1)
    assert occurred_at(mail(sent_at=NOW + timedelta(hours=1)), NOW) == NOW
    assert occurred_at(mail(), NOW) == NOW


def provider(**kw: object) -> InboundMail:
    fields: dict[str, object] = {
        "provider": "postmark",
        "provider_id": "p-1",
        "sender": "Olga <OLGA@client.example>",
        "subject": " Re:  Invoice ",
        "date": "Tue, 04 Mar 2031 09:30:00 +0100",
        "text": "",
        "html_text": "<p>Paid &amp; done</p>",
        "headers": [],
        "attachments": (),
    }
    return provider_mail(**{**fields, **kw})  # type: ignore[arg-type]


def test_a_providers_message_is_read_as_a_mailbox_one() -> None:
    mail = provider(
        headers=[
            ("Message-ID", "<a1@client.example>"),
            ("In-Reply-To", "<o2@orbit.example>"),
            ("References", "<o1@orbit.example> <o2@orbit.example>"),
            ("X-Spam-Score", "0"),
        ]
    )
    assert (mail.message_id, mail.sender, mail.subject, mail.text) == (
        "<a1@client.example>",
        "olga@client.example",
        "Re: Invoice",
        "Paid & done",
    )
    assert mail.thread() == ["<o2@orbit.example>", "<o1@orbit.example>"]
    assert mail.sent_at == datetime(2031, 3, 4, 8, 30, tzinfo=UTC) and not mail.automatic


def test_a_providers_message_without_its_id_or_with_broken_headers() -> None:
    mail = provider(headers=[("Message-ID", "<>"), ("Auto-Submitted", "auto-replied")])
    assert mail.message_id == "<p-1@postmark.inbound>" and mail.automatic
    assert provider(text="plain wins").text == "plain wins"


def test_a_providers_attachment_content_is_base64() -> None:
    def attachment(**fields: str) -> PostmarkAttachment:
        return PostmarkAttachment.model_validate({"Name": "a.txt", **fields})

    assert attachment(Content=base64.b64encode(b"\x00\xffsigned").decode()).data() == (
        b"\x00\xffsigned"
    )
    assert attachment(Content="").data() == b""  # empty: the files' limits refuse it
    assert attachment().data() is None  # listed without its content: nothing to keep
    assert attachment(Content="not base64!").data() is None
