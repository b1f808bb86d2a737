"""The ``api`` and ``any_api`` fixtures (tests/integration/billing/helpers.py) for every
module here."""

from tests.integration.billing.helpers import any_api, api

__all__ = ["any_api", "api"]
