"""The notifications API's view of a notification."""

from __future__ import annotations

from services.notifications.api.schemas import NotificationOut
from services.notifications.store.models import Notification


def notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut.model_validate(notification)
