"""What a notification says: a title and a body per event type, in English and Russian, from
the event's data alone. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from services.notifications.domain.catalog import short_name

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
            "Invoice {number} of {client} ({balance} open) is due on {due_date}.",
        ),
        "ru": (
            "Напоминание об оплате: {client}, счёт {number}, {balance}",
            "Счёт {number} клиента {client} (к оплате {balance}) нужно оплатить до {due_date}.",
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


def fields_of(data: Mapping[str, Any]) -> dict[str, str]:
    """The event's data as text for the messages (missing fields read as a dash)."""
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
    for moment in ("due_at", "report_due_at", "promised_by"):
        if isinstance(data.get(moment), str):
            out[moment] = data[moment].replace("T", " ")[:16] + " UTC"
    if data.get("kind") in ("nps", "csat"):
        out["kind"] = str(data["kind"]).upper()
    return out


def describe(event_type: str, data: Mapping[str, Any], language: Language) -> tuple[str, str]:
    """The title and body of a notification about an event, in ``language``."""
    name = short_name(event_type)
    title, body = MESSAGES.get(name, GENERIC)[language]
    fields = fields_of(data)
    fields.setdefault("event", name)
    return title.format_map(fields)[:300], body.format_map(fields).strip()
