"""The scheduled reports' pieces without servers: when each report is due, its deterministic
id, the recipient's locale, the HTML in both languages (escaped), the email with its
attachment (built like every email), and a refused SMTP URL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.notifications.scorecard.domain.deviations import Deviation
from services.notifications.scorecard.jobs import MESSAGES, is_due, report_id
from services.notifications.scorecard.mailer import locale_of, message, render_html
from services.notifications.settings import parse_smtp_url
from shared.exports import XLSX


def test_when_each_report_is_due() -> None:
    monday, tuesday, first = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 1)
    assert is_due("day", tuesday) and is_due("week", monday) and is_due("month", first)
    assert not is_due("week", tuesday) and not is_due("month", monday)


def test_one_id_per_recipient_kind_and_period() -> None:
    who = uuid.uuid4()
    assert report_id(who, "week", date(2026, 11, 23)) == report_id(who, "week", date(2026, 11, 23))
    assert report_id(who, "week", date(2026, 11, 23)) != report_id(who, "day", date(2026, 11, 23))
    assert report_id(who, "week", date(2026, 11, 23)) != report_id(
        uuid.uuid4(), "week", date(2026, 11, 23)
    )


@pytest.mark.parametrize(
    ("given", "locale"),
    [("ru", "ru"), ("ru-RU", "ru"), ("RU", "ru"), ("en-GB", "en"), (None, "en"), ("de", "en")],
)
def test_locale(given: str | None, locale: str) -> None:
    assert locale_of(given) == locale


def test_both_languages_have_every_word() -> None:
    assert MESSAGES["en"]["kpi"].keys() == MESSAGES["ru"]["kpi"].keys()
    assert (
        MESSAGES["en"]["title"].keys() == MESSAGES["ru"]["title"].keys() == {"day", "week", "month"}
    )


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_html_is_escaped_and_lists_deviations(locale: str) -> None:
    html = render_html(
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
    mail = message(
        report_id=report,
        sender="Orbit <o@example.com>",
        to="hana@example.com",
        locale="ru",
        subject="Отчёт",
        html="<p>hi</p>",
        attachment_name="scorecard.xlsx",
        attachment=b"PK\x03\x04",
        when=datetime(2026, 11, 30, 7, tzinfo=UTC),
    )
    assert mail.get_body(("html",)) is not None
    assert mail["Message-ID"] == f"<{report}@example.com>"  # the same one if sent again
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == "scorecard.xlsx"
    assert attachment.get_content() == b"PK\x03\x04"


def test_only_smtp_urls_are_used() -> None:
    with pytest.raises(ValueError, match="smtp"):
        parse_smtp_url("http://localhost")
