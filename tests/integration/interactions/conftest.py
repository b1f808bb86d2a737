"""The ``api`` fixture (tests/integration/interactions/helpers.py) for every module here."""

from tests.integration.interactions.helpers import any_api, api

__all__ = ["any_api", "api"]
