"""What an event turns into, planned from its context (``domain/dispatch.py``): webhooks first,
then the rule's staff (their channels, language, quiet hours and digest), then the client's
contacts, each once, in their language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from services.notifications.domain.dispatch import (
    Choices,
    ContactEmailRow,
    Context,
    FeedRow,
    StaffEmailRow,
    StaffMember,
    Subscription,
    UnsentRow,
    WebhookRow,
    client_context,
    contacts_for,
    needs_replica_contacts,
    plan_dispatch,
    staff_recipients,
)
from services.notifications.domain.rules import DEFAULT_RULES, Rule, rule_for
from services.notifications.domain.schedule import Digest, QuietHours

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
BREACHED = "orbit.interactions.sla.breached.v1"
REMINDER = "orbit.billing.invoice.payment_reminder_due.v1"
MINUTES = "orbit.interactions.meeting.report_submitted.v1"
CLIENT = uuid.uuid4()


def rule(event_type: str) -> Rule:
    found = rule_for(DEFAULT_RULES, event_type)
    assert found is not None
    return found


def person(name: str, **values: object) -> StaffMember:
    fields: dict[str, object] = {
        "name": name,
        "email": f"{name.lower()}@orbit.test",
        "timezone": "UTC",
        "active": True,
    }
    return StaffMember(uuid.uuid4(), **(fields | values))  # type: ignore[arg-type]


def breach(manager: StaffMember, head: uuid.UUID | None = None) -> dict[str, object]:
    return {
        "client_id": str(CLIENT),
        "client_name": "Initech",
        "account_manager_id": str(manager.id),
        "head_id": str(head) if head else None,
    }


def test_webhooks_come_first_and_alone_without_a_rule() -> None:
    hooks = (Subscription(uuid.uuid4(), "https://a.test/"), Subscription(uuid.uuid4(), "https://b"))
    assert plan_dispatch(BREACHED, {}, Context(hooks), NOW) == [WebhookRow(h) for h in hooks]

    ida = person("Ida")
    rows = plan_dispatch(BREACHED, breach(ida), Context(hooks[:1], rule(BREACHED), [ida]), NOW)
    assert [type(r) for r in rows] == [WebhookRow, FeedRow, StaffEmailRow]


def test_the_manager_gets_a_feed_entry_that_escalates_and_an_email_in_her_language() -> None:
    ida = person("Ida", locale="ru-RU")
    context = Context(rule=rule(BREACHED), staff=[ida])
    feed, email = plan_dispatch(BREACHED, breach(ida), context, NOW)
    assert isinstance(feed, FeedRow) and isinstance(email, StaffEmailRow)
    assert feed == FeedRow(ida.id, email.title, email.body, "PT4H", NOW + timedelta(hours=4))
    assert (email.staff, email.language, email.title) == (ida, "ru", "Нарушен SLA: Initech")
    assert (email.send_at, email.digest) == (NOW, False)  # critical: now


def test_inactive_staff_get_nothing_and_choices_pick_the_channels() -> None:
    gone = person("Gone", active=False)
    feed_only = person("Feed", choices=Choices({"critical": ["in_app"]}))
    mail_only = person("Mail", choices=Choices({"critical": ["email"]}))
    context = Context(rule=rule(BREACHED), staff=[gone, feed_only, mail_only])
    rows = plan_dispatch(BREACHED, breach(gone), context, NOW)
    assert [(type(r), getattr(r, "recipient_id", None)) for r in rows] == [
        (FeedRow, feed_only.id),
        (StaffEmailRow, None),
    ]
    assert isinstance(rows[1], StaffEmailRow) and rows[1].staff == mail_only


def test_staff_emails_wait_for_the_digest_or_the_end_of_quiet_hours() -> None:
    digest_at = (NOW - timedelta(hours=4)).time()
    quiet = QuietHours(time(NOW.hour - 1), time(NOW.hour + 2))
    info_rule = Rule(BREACHED, ("account_manager",), ("email",), "info")
    warning_rule = Rule(BREACHED, ("account_manager",), ("email",), "warning")
    ida = person("Ida", choices=Choices(digest=Digest(True, digest_at), quiet=quiet))

    [digest] = plan_dispatch(BREACHED, breach(ida), Context(rule=info_rule, staff=[ida]), NOW)
    assert isinstance(digest, StaffEmailRow)
    assert (digest.digest, digest.send_at) == (True, NOW + timedelta(hours=20))
    [later] = plan_dispatch(BREACHED, breach(ida), Context(rule=warning_rule, staff=[ida]), NOW)
    assert isinstance(later, StaffEmailRow)
    assert (later.digest, later.send_at) == (False, NOW + timedelta(hours=2))


def test_staff_recipients_once_each_in_the_rules_order() -> None:
    ida, admin = uuid.uuid4(), uuid.uuid4()
    everyone = Rule(BREACHED, ("head", "account_manager", "admins"), ("in_app",), "info")
    data = {"account_manager_id": str(ida), "head_id": str(ida)}
    assert staff_recipients(everyone, data, [admin, ida]) == [ida, admin]
    assert staff_recipients(everyone, {"account_manager_id": "not a uuid"}, []) == []


def test_billing_contacts_from_the_event_else_the_replica() -> None:
    reminder = rule(REMINDER)
    carried = {"billing_contacts": [{"contact_id": "c1", "name": "Carl", "email": "c@x.test"}]}
    replica = [
        {"id": "r1", "name": "Rita", "email": "r@x.test", "roles": ["billing"]},
        {"id": "r2", "name": "Rob", "email": "rob@x.test", "roles": ["technical"]},
    ]
    assert not needs_replica_contacts(reminder, carried)
    assert contacts_for(reminder, carried, replica) == [
        {"id": "c1", "name": "Carl", "email": "c@x.test"}
    ]
    assert needs_replica_contacts(reminder, {})
    assert contacts_for(reminder, {}, replica) == replica[:1]


def test_meeting_participants_from_the_event_else_their_ids_in_the_replica() -> None:
    minutes = rule(MINUTES)
    replica = [{"id": "r1", "name": "Rita"}, {"id": "r2", "name": "Rob"}]
    carried = {"contacts": [{"contact_id": "c1", "name": "Carl"}], "contact_ids": ["r2"]}
    assert not needs_replica_contacts(minutes, carried)
    assert contacts_for(minutes, carried, replica) == [{"id": "c1", "name": "Carl", "email": None}]
    assert needs_replica_contacts(minutes, {"contacts": [], "contact_ids": ["r2"]})
    assert contacts_for(minutes, {"contact_ids": ["r2"]}, replica) == [replica[1]]


def test_each_contact_once_in_their_language_and_without_an_address_skipped() -> None:
    anna, boris = uuid.uuid4(), uuid.uuid4()
    contacts = [
        {"id": str(anna), "name": "Anna", "email": "old@x.test"},
        {"id": str(boris), "name": "Boris", "email": ""},
        {"id": str(anna), "name": "Anna", "email": "anna@x.test"},
        {"id": "not a uuid", "name": "Nobody", "email": "n@x.test"},
    ]
    data = {"client_id": str(CLIENT), "client_name": "Initech", "number": "INV-1"}
    context = Context(rule=rule(REMINDER), contacts=contacts, locales={CLIENT: "ru", anna: "en"})
    first, second = plan_dispatch(REMINDER, data, context, NOW)
    assert isinstance(first, ContactEmailRow) and isinstance(second, ContactEmailRow)
    assert (first.contact_id, first.address, first.language) == (anna, "anna@x.test", "en")
    assert (first.template, first.context["number"]) == ("payment_reminder", "INV-1")
    assert (second.contact_id, second.address, second.language) == (boris, None, "ru")


def test_no_client_email_unless_the_rule_emails() -> None:
    in_app = Rule(REMINDER, ("billing_contacts",), ("in_app",), "info")
    contacts = [{"id": str(uuid.uuid4()), "email": "a@x.test"}]
    assert plan_dispatch(REMINDER, {}, Context(rule=in_app, contacts=contacts), NOW) == []


def test_tasks_meetings_and_the_head_of_an_escalating_reminder() -> None:
    ida, ole, head = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    task = {"assignee_id": str(ole), "created_by": str(ida), "account_manager_id": str(ida)}
    assigned = rule("orbit.interactions.task.assigned.v1")
    assert staff_recipients(assigned, task | {"assigned_by": str(ida)}, []) == [ole]
    assert staff_recipients(assigned, task | {"assigned_by": str(ole)}, []) == []  # self
    completed = rule("orbit.interactions.task.completed.v1")
    assert staff_recipients(completed, task | {"completed_by": str(ole)}, []) == [ida]
    assert staff_recipients(completed, task | {"completed_by": str(ida)}, []) == []
    overdue = rule("orbit.interactions.task.overdue.v1")
    assert staff_recipients(overdue, task, []) == [ole, ida]
    mine = task | {"assignee_id": str(ida)}
    assert staff_recipients(overdue, mine, []) == [ida]  # once
    moved = rule("orbit.interactions.task.deadline_moved.v1")
    assert staff_recipients(moved, task | {"moved_by": str(ole)}, []) == [ida]
    meeting = {"staff_ids": [str(ida), str(ole)], "organizer_id": str(ole)}
    reminder = rule("orbit.interactions.meeting.reminder.v1")
    assert staff_recipients(reminder, meeting, []) == [ida, ole]
    no_outcome = rule("orbit.interactions.meeting.no_outcome.v1")
    assert staff_recipients(no_outcome, meeting | {"account_manager_id": str(ida)}, []) == [
        ole,
        ida,
    ]
    dunning = rule(REMINDER)
    assert staff_recipients(dunning, {"head_id": str(head), "escalate": False}, []) == []
    assert staff_recipients(dunning, {"head_id": str(head), "escalate": True}, []) == [head]


def test_instants_in_each_readers_zone_and_language() -> None:
    tokyo = person("Ida", timezone="Asia/Tokyo", locale="ru")
    berlin = person("Ole", timezone="Europe/Berlin")
    data = {
        "client_name": "Initech",
        "title": "Call back",
        "assignee_id": str(tokyo.id),
        "due_at": "2031-12-06T23:30:00+00:00",
        "hours_left": 4,
    }
    context = Context(rule=rule("orbit.interactions.task.due_soon.v1"), staff=[tokyo, berlin])
    feed_ru, _, feed_en, _ = plan_dispatch(
        "orbit.interactions.task.due_soon.v1", data, context, NOW
    )
    assert isinstance(feed_ru, FeedRow) and isinstance(feed_en, FeedRow)
    assert "7 декабря 2031, 08:30 (Asia/Tokyo)" in feed_ru.body
    assert "7 Dec 2031, 00:30 (Europe/Berlin)" in feed_en.body


def test_a_client_email_reaching_nobody_tells_the_manager_what_to_fix() -> None:
    ida = person("Ida", locale="ru")
    invoice = uuid.uuid4()
    data = {"client_id": str(CLIENT), "client_name": "Initech", "number": "INV-1"}
    data |= {"invoice_id": str(invoice), "account_manager_id": str(ida.id)}
    nobody = Context(rule=rule(REMINDER), manager=ida)
    [notice] = plan_dispatch(REMINDER, data, nobody, NOW)
    assert isinstance(notice, UnsentRow) and notice.key == f"payment_reminder:no_contacts:{invoice}"
    feed, email = notice.alerts
    assert isinstance(feed, FeedRow) and isinstance(email, StaffEmailRow)
    assert feed.recipient_id == ida.id
    assert feed.title == "Напоминание об оплате не отправлено: Initech"  # noqa: RUF001
    assert "нет контакта для счетов" in feed.body
    boris = {"id": str(uuid.uuid4()), "name": "Boris", "email": None}
    anna = {"id": str(uuid.uuid4()), "name": "Anna", "email": "anna@x.test"}
    meeting = uuid.uuid4()
    minutes = {"client_name": "Initech", "subject": "Review", "interaction_id": str(meeting)}
    partly = Context(rule=rule(MINUTES), contacts=[boris, anna], manager=person("Ole"))
    *emails, notice = plan_dispatch(MINUTES, minutes, partly, NOW)
    assert [type(e) for e in emails] == [ContactEmailRow, ContactEmailRow]
    assert isinstance(notice, UnsentRow) and notice.key == f"meeting_minutes:no_email:{meeting}"
    assert notice.alerts[0].title == "Meeting minutes not sent: Review"
    assert "not sent to Boris: no email address" in notice.alerts[0].body
    everyone = Context(rule=rule(MINUTES), contacts=[anna], manager=person("Ole"))
    assert not any(isinstance(r, UnsentRow) for r in plan_dispatch(MINUTES, minutes, everyone, NOW))
    assert plan_dispatch(REMINDER, data, Context(rule=rule(REMINDER)), NOW) == []  # no manager


def test_every_client_email_that_cannot_go_has_its_notice() -> None:
    from services.notifications.domain.dispatch import UNSENT_ENTITY
    from services.notifications.domain.rules import CLIENT_TEMPLATES

    manager = person("Ida")
    for event_type, template in CLIENT_TEMPLATES.items():
        assert template in UNSENT_ENTITY, template
        data = {"client_name": "Initech", UNSENT_ENTITY[template]: str(uuid.uuid4())}
        nobody = Context(rule=rule(event_type), manager=manager)
        [notice] = plan_dispatch(event_type, data, nobody, NOW)
        assert isinstance(notice, UnsentRow), event_type
        boris = {"id": str(uuid.uuid4()), "name": "Boris", "email": None}
        partly = Context(rule=rule(event_type), contacts=[boris], manager=manager)
        *_, notice = plan_dispatch(event_type, data, partly, NOW)
        assert isinstance(notice, UnsentRow) and "Boris" in notice.alerts[0].body, event_type


def test_a_client_email_shows_the_invoice_as_its_event_wrote_it() -> None:
    """An ``invoice.issued`` (no ``days_overdue``, no issue date yet): nothing overdue, an
    empty date; amounts as the event wrote them; a field it does not read is ignored."""
    issued = {"number": "INV-7", "balance": "1200.50", "total": "1200.50", "currency": "EUR"}
    context = client_context("invoice_issued", issued | {"added_later": [1]}, {"name": "Olga"})
    assert context == {
        "recipient_name": "Olga",
        "client_name": "",
        "issue_date": "",
        "number": "INV-7",
        "balance": "1200.50",
        "total": "1200.50",
        "currency": "EUR",
        "due_date": "",
        "days_overdue": 0,
    }
