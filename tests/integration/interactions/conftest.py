"""The ``api`` fixture (tests/integration/interactions/helpers.py) for every module here."""

from tests.integration.interactions.helpers import api

__all__ = ["api"]
