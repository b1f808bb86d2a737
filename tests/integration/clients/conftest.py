"""The ``api`` fixture (tests/integration/clients/helpers.py) for every module here."""

from tests.integration.clients.helpers import api

__all__ = ["api"]
