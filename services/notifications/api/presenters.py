"""The notifications API's views of its entities, one function per response."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.api.schemas import (
    DeliveryAttemptOut,
    DeliveryOut,
    NotificationOut,
    PreferencesOut,
    RuleOut,
    WebhookOut,
)
from services.notifications.domain.rules import Rule
from services.notifications.handlers.preferences import Preferences
from services.notifications.handlers.webhooks import NewWebhook
from services.notifications.store import repository as repo
from services.notifications.store.models import Delivery, DeliveryAttempt, Notification, Webhook


def notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut.model_validate(notification)


def rules_out(rules: Sequence[Rule]) -> list[RuleOut]:
    return [RuleOut(**rule.as_dict()) for rule in rules]


def preferences_out(preferences: Preferences) -> PreferencesOut:
    return PreferencesOut.model_validate(
        {
            "channels": preferences.channels,
            "quiet_hours": preferences.quiet_hours,
            "digest": preferences.digest,
        }
    )


def webhook_out(webhook: Webhook, secret: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=webhook.id,
        url=webhook.url,
        event_types=list(webhook.event_types),
        secret=secret,
        active=webhook.active,
        created_at=webhook.created_at,
        failing_since=webhook.failing_since,
        disabled_at=webhook.disabled_at,
        disabled_reason=webhook.disabled_reason,
    )


def new_webhook_out(created: NewWebhook) -> WebhookOut:
    return webhook_out(created.webhook, created.secret)


def delivery_out(delivery: Delivery, history: Sequence[DeliveryAttempt] = ()) -> DeliveryOut:
    out = DeliveryOut.model_validate(delivery)
    out.history = [DeliveryAttemptOut.model_validate(a) for a in history]
    return out


async def deliveries_out(session: AsyncSession, items: list[Delivery]) -> list[DeliveryOut]:
    """A page of deliveries (``shared.lists.sorted_list``), each with its attempts (read in
    one query, in the page's session)."""
    history = await repo.attempts_of(session, [d.id for d in items])
    return [delivery_out(d, history[d.id]) for d in items]
