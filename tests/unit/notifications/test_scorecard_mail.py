"""The scheduled reports' pieces without servers: when each report is due and which are, its
deterministic id, the recipient's language (the one rule of every email), the HTML in both
languages (escaped), the email of its delivery with the workbook attached (built by the
delivery worker's mailer like every email), and a refused SMTP URL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.notifications.delivery import Claimed, Mailer
from services.notifications.domain.messages import language_of
from services.notifications.domain.scorecard.deviations import Deviation
from services.notifications.domain.scorecard.reports import (
    due_reports,
    is_due,
    report_id,
    reports_chosen,
)
from services.notifications.emails import REPORT_WORDS as MESSAGES
from services.notifications.emails import render_report
from services.notifications.settings import NotificationsSettings, parse_smtp_url
from shared.clock import FixedClock
from shared.exports import XLSX


def test_when_each_report_is_due() -> None:
    monday, tuesday, first = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 1)
    assert is_due("day", tuesday) and is_due("week", monday) and is_due("month", first)
    assert not is_due("week", tuesday) and not is_due("month", monday)


def test_which_reports_are_due() -> None:
    monday, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    every = ["day", "week", "month", "quarter"]  # a quarterly report is not a scheduled one
    assert due_reports(every, reports_chosen(None), monday) == ["day", "week"]
    assert due_reports(every, reports_chosen({"week": False}), monday) == ["day"]
    assert due_reports(["week"], reports_chosen(None), tuesday) == []
    assert reports_chosen({"day": False}) == {"day": False, "week": True, "month": True}


def test_one_id_per_recipient_kind_and_period() -> None:
    who = uuid.uuid4()
    assert report_id(who, "week", date(2026, 11, 23)) == report_id(who, "week", date(2026, 11, 23))
    assert report_id(who, "week", date(2026, 11, 23)) != report_id(who, "day", date(2026, 11, 23))
    assert report_id(who, "week", date(2026, 11, 23)) != report_id(
        uuid.uuid4(), "week", date(2026, 11, 23)
    )


@pytest.mark.parametrize(
    ("given", "language"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU", "ru"),
        ("en-GB", "en"),
        (None, "en"),
        ("de", "en"),
        ("rus", "en"),  # not the BCP 47 tag of Russian: English, as for every email
    ],
)
def test_a_report_is_in_the_language_of_every_email(given: str | None, language: str) -> None:
    assert language_of(given) == language


def test_both_languages_have_every_word() -> None:
    assert MESSAGES["en"]["kpi"].keys() == MESSAGES["ru"]["kpi"].keys()
    assert (
        MESSAGES["en"]["title"].keys() == MESSAGES["ru"]["title"].keys() == {"day", "week", "month"}
    )


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_html_is_escaped_and_lists_deviations(locale: Any) -> None:
    html = render_report(
        locale,
        title="T",
        scope="S",
        start="2026-11-23",
        end="2026-11-29",
        timezone="UTC",
        headline=[{"label": "NPS", "current": "10", "previous": "5", "change": "+5"}],
        deviations=[
            Deviation("churn", "<script>Evil</script>", {}),
            Deviation("sla_fell", "Ann", {"from": "90", "to": "70"}),
        ],
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Ann" in html and "90" in html and "70" in html


def test_the_email_carries_html_and_the_workbook() -> None:
    report = uuid.uuid4()
    settings = NotificationsSettings(
        smtp_url="smtp://127.0.0.1:25", smtp_from="Orbit <o@example.com>"
    )
    item = Claimed(
        id=report,
        channel="email",
        address="hana@example.com",
        subject="Отчёт",
        text_body="text",
        html_body="<p>hi</p>",
        payload=None,
        locale="ru",
        webhook_id=None,
        recipient_id=uuid.uuid4(),
        digest=False,
        attempts=0,
        first_attempt_at=None,
        attachment_name="scorecard.xlsx",
        attachment=b"PK\x03\x04",
    )
    ((items, mail),) = Mailer(
        settings, FixedClock(datetime(2026, 11, 30, 7, tzinfo=UTC))
    )._messages([item], {})
    assert items == [item]
    assert mail.get_body(("html",)) is not None
    assert mail["Message-ID"] == f"<{report}@example.com>"  # the same one if sent again
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == "scorecard.xlsx"
    assert attachment.get_content() == b"PK\x03\x04"


def test_only_smtp_urls_are_used() -> None:
    with pytest.raises(ValueError, match="smtp"):
        parse_smtp_url("http://localhost")
