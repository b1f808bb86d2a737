"""The ``api`` and ``any_api`` fixtures (tests/integration/clients/helpers.py) for every
module here."""

from tests.integration.clients.helpers import any_api, api

__all__ = ["any_api", "api"]
