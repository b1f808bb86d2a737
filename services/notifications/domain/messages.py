"""What a notification says: a title and a body per event type, in English and Russian, from
the event's data alone. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Literal, cast

from services.notifications.domain.catalog import CLIENT_EMAIL_UNSENT, short_name
from shared.clock import zone_of

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")
DEFAULT_LANGUAGE: Language = "en"


def language_of(*locales: str | None) -> Language:
    """The first supported language among ``locales`` (BCP 47 tags, most specific first:
    the contact's, then the client's), else English. ``ru-RU`` is Russian."""
    for locale in locales:
        if locale:
            primary = locale.split("-")[0].lower()
            if primary in LANGUAGES:
                return cast(Language, primary)
    return DEFAULT_LANGUAGE


# short event name -> language -> (title, body); {fields} come from :func:`fields_of`.
MESSAGES: dict[str, dict[Language, tuple[str, str]]] = {
    "sla.breached": {
        "en": (
            "SLA breached: {client}",
            "The request \u201c{subject}\u201d of {client} was not answered by {due_at}.",
        ),
        "ru": (
            "Нарушен SLA: {client}",
            "Запрос \u00ab{subject}\u00bb клиента {client} не получил ответа до {due_at}.",
        ),
    },
    "sla.at_risk": {
        "en": (
            "SLA at risk: {client}",
            "The request \u201c{subject}\u201d of {client} is due by {due_at}.",
        ),
        "ru": (
            "SLA под угрозой: {client}",
            "Запрос \u00ab{subject}\u00bb клиента {client} нужно закрыть до {due_at}.",
        ),
    },
    "request.promise_broken": {
        "en": (
            "Promise broken: {client}",
            "The answer promised to {client} by {promised_by} was not given.",
        ),
        "ru": (
            "Обещание не выполнено: {client}",
            "Ответ, обещанный клиенту {client} к {promised_by}, не дан.",
        ),
    },
    "meeting.report_overdue": {
        "en": (
            "Meeting report overdue: {client}",
            "The report of the meeting \u201c{subject}\u201d with {client} was due by {report_due_at}.",
        ),
        "ru": (
            "Просрочен отчёт о встрече: {client}",
            "Отчёт о встрече \u00ab{subject}\u00bb с клиентом {client} нужно было сдать до {report_due_at}.",
        ),
    },
    "meeting.report_submitted": {
        "en": ("Meeting minutes: {subject}", "{summary}"),
        "ru": ("Протокол встречи: {subject}", "{summary}"),
    },
    "meeting.report_amended": {
        "en": ("Meeting minutes corrected: {subject}", "{reason}"),
        "ru": ("Протокол встречи исправлен: {subject}", "{reason}"),
    },
    "client.contact_overdue": {
        "en": (
            "Contact overdue: {client}",
            "{client} has not been contacted for {contact_cadence_days} days ({days_overdue} days overdue).",
        ),
        "ru": (
            "Давно нет контакта: {client}",
            "С клиентом {client} не было контакта {contact_cadence_days} дн. (просрочка {days_overdue} дн.).",
        ),
    },
    "task.overdue": {
        "en": (
            "Task overdue: {title}",
            "The task \u201c{title}\u201d for {client} was due by {due_at}.",
        ),
        "ru": (
            "Просрочена задача: {title}",
            "Задача \u00ab{title}\u00bb по клиенту {client} должна была быть выполнена до {due_at}.",
        ),
    },
    "task.due_soon": {
        "en": (
            "Task due soon: {title}",
            "The task \u201c{title}\u201d for {client} is due by {due_at} ({hours_left} h left).",
        ),
        "ru": (
            "Скоро срок задачи: {title}",
            "Задачу \u00ab{title}\u00bb по клиенту {client} нужно выполнить до {due_at} (осталось {hours_left} ч).",
        ),
    },
    "task.assigned": {
        "en": (
            "Task for you: {title}",
            "You were given the task \u201c{title}\u201d for {client}, due by {due_at}.",
        ),
        "ru": (
            "Вам поручена задача: {title}",
            "Вам поручена задача \u00ab{title}\u00bb по клиенту {client}, срок {due_at}.",
        ),
    },
    "task.completed": {
        "en": (
            "Task done: {title}",
            "The task \u201c{title}\u201d for {client} was completed on {completed_at}.",
        ),
        "ru": (
            "Задача выполнена: {title}",
            "Задача \u00ab{title}\u00bb по клиенту {client} выполнена {completed_at}.",
        ),
    },
    "task.deadline_moved": {
        "en": (
            "Deadline moved: {title}",
            "The task \u201c{title}\u201d for {client} is now due by {new_due_at} (was {old_due_at}). {reason}",
        ),
        "ru": (
            "Срок задачи перенесён: {title}",
            "Задачу \u00ab{title}\u00bb по клиенту {client} теперь нужно выполнить до {new_due_at} (было {old_due_at}). {reason}",
        ),
    },
    "client.contact_due_soon": {
        "en": (
            "Contact due soon: {client}",
            "Reach out to {client} by {due_at} ({days_left} days left of the {contact_cadence_days}-day cadence).",
        ),
        "ru": (
            "Скоро пора связаться: {client}",
            "Свяжитесь с клиентом {client} до {due_at} (осталось {days_left} дн. из {contact_cadence_days}).",
        ),
    },
    "meeting.reminder": {
        "en": (
            "Meeting at {starts_at}: {subject}",
            "{kind_name} \u201c{subject}\u201d with {client} starts at {starts_at}. {location}",
        ),
        "ru": (
            "Встреча в {starts_at}: {subject}",
            "{kind_name} \u00ab{subject}\u00bb с клиентом {client} начинается {starts_at}. {location}",
        ),
    },
    "meeting.no_outcome": {
        "en": (
            "Meeting without an outcome: {subject}",
            "{kind_name} \u201c{subject}\u201d with {client} ended at {ends_at}: mark it held or cancelled.",
        ),
        "ru": (
            "Встреча без итога: {subject}",
            "{kind_name} \u00ab{subject}\u00bb с клиентом {client} закончилась {ends_at}: отметьте, состоялась ли она.",
        ),
    },
    "contact.birthday_upcoming": {
        "en": (
            "Birthday on {birthday}: {name}, {client}",
            "{name} of {client} celebrates a birthday on {birthday}{age_note}: in {days_ahead} days.",
        ),
        "ru": (
            "День рождения {birthday}: {name}, {client}",
            "{name} ({client}) празднует день рождения {birthday}{age_note}: через {days_ahead} дн.",
        ),
    },
    "feedback.received": {
        "en": ("Low feedback score: {client}", "{client} gave {kind} {score}. {comment}"),
        "ru": ("Низкая оценка: {client}", "Клиент {client} поставил {kind} {score}. {comment}"),
    },
    "invoice.overdue": {
        "en": (
            "Invoice {number} overdue: {client}, {balance}",
            "Invoice {number} of {client} ({balance} open) was due on {due_date}: {days_overdue} days overdue.",
        ),
        "ru": (
            "Просрочен счёт {number}: {client}, {balance}",
            "Счёт {number} клиента {client} (к оплате {balance}) нужно было оплатить до {due_date}: просрочка {days_overdue} дн.",
        ),
    },
    "invoice.payment_reminder_due": {
        "en": (
            "Payment reminder: {client}, invoice {number}, {balance}",
            "Invoice {number} of {client} ({balance} open), due on {due_date}: the reminder of day {step} of the dunning schedule goes to the client ({days_overdue} days overdue).",
        ),
        "ru": (
            "Напоминание об оплате: {client}, счёт {number}, {balance}",
            "Счёт {number} клиента {client} (к оплате {balance}), срок оплаты {due_date}: клиенту уходит напоминание дня {step} графика взыскания (просрочка {days_overdue} дн.).",
        ),
    },
    "invoice.issued": {
        "en": (
            "Invoice issued: {client}, invoice {number}",
            "Invoice {number} of {client} is due on {due_date}.",
        ),
        "ru": (
            "Выставлен счёт: {client}, счёт {number}",
            "Счёт {number} клиента {client} нужно оплатить до {due_date}.",
        ),
    },
    "invoice.promise_broken": {
        "en": (
            "Payment promise broken: {client}, invoice {number}",
            "{client} promised to pay invoice {number} ({balance} open) by {promised_on}.",
        ),
        "ru": (
            "Обещание оплаты нарушено: {client}, счёт {number}",
            "Клиент {client} обещал оплатить счёт {number} (к оплате {balance}) до {promised_on}.",
        ),
    },
    "contract.expiring": {
        "en": (
            "Contract {number} expiring: {client}",
            "The contract {number} \u201c{title}\u201d with {client} ends on {ends_on} ({days_left} days left).",
        ),
        "ru": (
            "Истекает договор {number}: {client}",
            "Договор {number} \u00ab{title}\u00bb с клиентом {client} заканчивается {ends_on} (осталось {days_left} дн.).",
        ),
    },
    "budget.threshold_reached": {
        "en": (
            "Budget {threshold}% reached: {client}",
            "Invoiced {invoiced} of the budget {budget} of contract {contract_number}.",
        ),
        "ru": (
            "Бюджет израсходован на {threshold}%: {client}",
            "Выставлено {invoiced} из бюджета {budget} по договору {contract_number}.",
        ),
    },
    "alert.escalated": {
        "en": (
            "Escalated (level {level}): {alert_title}",
            "Not acknowledged in time: {alert_body}",
        ),
        "ru": (
            "Эскалация (уровень {level}): {alert_title}",
            "Не подтверждено вовремя: {alert_body}",
        ),
    },
    # The notices that a client email could not be sent (``describe_unsent``): per template
    # and cause (no contact to send to; contacts without an email address).
    "client_email.unsent.payment_reminder.no_contacts": {
        "en": (
            "Payment reminder not sent: {client}",
            "The payment reminder for invoice {number} was not sent: {client} has no billing contact. Add a contact with the billing role and an email address.",
        ),
        "ru": (
            "Напоминание об оплате не отправлено: {client}",
            "Напоминание об оплате счёта {number} не отправлено: у клиента {client} нет контакта для счетов. Добавьте контакт с ролью billing и адресом почты.",
        ),
    },
    "client_email.unsent.payment_reminder.no_email": {
        "en": (
            "Payment reminder not sent: {client}",
            "The payment reminder for invoice {number} was not sent to {names}: no email address. Add their addresses.",
        ),
        "ru": (
            "Напоминание об оплате не отправлено: {client}",
            "Напоминание об оплате счёта {number} не отправлено контактам {names}: нет адреса почты. Добавьте адреса.",
        ),
    },
    "client_email.unsent.invoice_issued.no_contacts": {
        "en": (
            "Invoice not sent: {client}",
            "The invoice {number} was not emailed: {client} has no billing contact. Add a contact with the billing role and an email address.",
        ),
        "ru": (
            "Счёт не отправлен: {client}",
            "Счёт {number} не отправлен по почте: у клиента {client} нет контакта для счетов. Добавьте контакт с ролью billing и адресом почты.",
        ),
    },
    "client_email.unsent.invoice_issued.no_email": {
        "en": (
            "Invoice not sent: {client}",
            "The invoice {number} was not emailed to {names}: no email address. Add their addresses.",
        ),
        "ru": (
            "Счёт не отправлен: {client}",
            "Счёт {number} не отправлен контактам {names}: нет адреса почты. Добавьте адреса.",
        ),
    },
    "client_email.unsent.meeting_minutes.no_contacts": {
        "en": (
            "Meeting minutes not sent: {subject}",
            "The minutes of the meeting \u201c{subject}\u201d with {client} were not sent: no participant from the client was recorded. Add the participants, or send the minutes yourself.",
        ),
        "ru": (
            "Протокол встречи не отправлен: {subject}",
            "Протокол встречи \u00ab{subject}\u00bb с клиентом {client} не отправлен: участники со стороны клиента не указаны. Укажите участников или отправьте протокол сами.",
        ),
    },
    "client_email.unsent.meeting_minutes.no_email": {
        "en": (
            "Meeting minutes not sent: {subject}",
            "The minutes of the meeting \u201c{subject}\u201d with {client} were not sent to {names}: no email address. Add their addresses.",
        ),
        "ru": (
            "Протокол встречи не отправлен: {subject}",
            "Протокол встречи \u00ab{subject}\u00bb с клиентом {client} не отправлен контактам {names}: нет адреса почты. Добавьте адреса.",
        ),
    },
    "webhook.disabled": {
        "en": (
            "Webhook disabled: {url}",
            "Every delivery to {url} failed for five days; the subscription was disabled.",
        ),
        "ru": (
            "Вебхук отключён: {url}",
            "Все доставки на {url} не удавались пять дней; подписка отключена.",
        ),
    },
}
GENERIC: dict[Language, tuple[str, str]] = {
    "en": ("{event}: {client}", "{event} for {client}."),
    "ru": ("{event}: {client}", "{event}, клиент {client}."),
}


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "\u2014"


def _money(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return f"{value.get('amount')} {value.get('currency', '')}".strip()
    currency = data.get("currency")
    return f"{value} {currency}" if currency else str(value)


# Fields of the events that are instants (aware ISO 8601): printed in the reader's zone.
INSTANTS: frozenset[str] = frozenset(
    {
        "due_at",
        "report_due_at",
        "promised_by",
        "old_due_at",
        "new_due_at",
        "completed_at",
        "starts_at",
        "ends_at",
        "previous_starts_at",
        "previous_ends_at",
        "last_contact_at",
    }
)
MONTHS: dict[Language, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
}
KIND_NAMES: dict[Language, dict[str, str]] = {
    "en": {"meeting": "The meeting", "call": "The call"},
    "ru": {"meeting": "Встреча", "call": "Звонок"},
}


def format_instant(value: datetime | str, zone: str | None, language: Language) -> str:
    """An instant as its reader reads it: the wall time in their zone, the zone named, in
    their language: ``7 Dec 2026, 09:30 (Asia/Tokyo)``, ``7 декабря 2026, 09:30
    (Asia/Tokyo)``. A naive value is taken as UTC; an unknown zone reads as UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    tz = zone_of(zone)
    local = moment.astimezone(tz)
    month = MONTHS[language][local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M} ({tz.key})"


def fields_of(
    data: Mapping[str, Any], language: Language = DEFAULT_LANGUAGE, zone: str | None = None
) -> dict[str, str]:
    """The event's data as text for the messages (missing fields read as a dash); instants
    in ``zone`` (the reader's), in ``language``."""
    out = _Fields()
    for key, value in data.items():
        if value is None or isinstance(value, list | dict):
            continue
        out[key] = str(value)
    out["client"] = str(data.get("client_name") or data.get("name") or "\u2014")
    for money in ("balance", "total", "invoiced", "budget", "amount"):
        text = _money(data, money)
        if text is not None:
            out[money] = text
    for moment in INSTANTS:
        value = data.get(moment)
        if isinstance(value, str):
            with suppress(ValueError):  # not an instant: shown as it came
                out[moment] = format_instant(value, zone, language)
    if data.get("kind") in ("nps", "csat"):
        out["kind"] = str(data["kind"]).upper()
    if data.get("kind") in ("meeting", "call"):
        out["kind_name"] = KIND_NAMES[language][str(data["kind"])]
    if "age" in data:
        age = data.get("age")
        out["age_note"] = (
            "" if age is None else (f" (turns {age})" if language == "en" else f" ({age})")
        )
    out["location"] = str(data.get("location") or "")
    out["reason"] = str(data.get("reason") or "")
    return out


def describe(
    event_type: str,
    data: Mapping[str, Any],
    language: Language,
    zone: str | None = None,
) -> tuple[str, str]:
    """The title and body of a notification about an event, in ``language``, its instants
    in ``zone`` (the reader's; UTC when None)."""
    name = short_name(event_type)
    title, body = MESSAGES.get(name, GENERIC)[language]
    fields = fields_of(data, language, zone)
    fields.setdefault("event", name)
    return title.format_map(fields)[:300], body.format_map(fields).strip()


def describe_unsent(
    template: str,
    cause: str,
    data: Mapping[str, Any],
    names: list[str],
    language: Language,
) -> tuple[str, str]:
    """The notice that a client email (``template``) was not sent, and what to fix:
    ``cause`` ``no_contacts`` (nobody to send to) or ``no_email`` (``names`` lack one)."""
    title, body = MESSAGES[f"{short_name(CLIENT_EMAIL_UNSENT)}.{template}.{cause}"][language]
    fields = fields_of(data, language)
    fields["names"] = ", ".join(names) or "\u2014"
    return title.format_map(fields)[:300], body.format_map(fields).strip()
