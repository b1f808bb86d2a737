"""The ``notif`` fixture (tests/integration/notifications/helpers.py) for every module here."""

from tests.integration.notifications.helpers import notif

__all__ = ["notif"]
