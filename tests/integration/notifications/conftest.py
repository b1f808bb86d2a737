"""The ``notif`` fixture (tests/integration/notifications/helpers.py) for every module here."""

from tests.integration.notifications.helpers import any_notif, notif

__all__ = ["any_notif", "notif"]
