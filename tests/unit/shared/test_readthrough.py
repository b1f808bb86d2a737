"""The credential a replica service reads from the clients service with: accepted by the
clients service's verifier as a ``service`` token, with the audience when one is required."""

from __future__ import annotations

import pytest

from shared.auth import Role, TokenVerifier
from shared.readthrough import SERVICE_SUBJECT, service_bearer
from shared.settings import OrbitSettings
from tests.support.apps import TEST_SECRET

SECRET = TEST_SECRET


@pytest.mark.parametrize("audience", [None, "orbit-api"])
async def test_the_signed_token_is_a_service_token_the_owner_accepts(audience: str | None) -> None:
    settings = OrbitSettings(jwt_secret=SECRET, jwt_audience=audience)
    bearer = service_bearer(settings)
    token = bearer()
    claims = await TokenVerifier(settings).decode(token)
    assert (claims.sub, claims.role) == (SERVICE_SUBJECT, Role.SERVICE)
    assert bearer() == token  # kept while it has more than half its life


def test_a_configured_token_is_used_as_it_is() -> None:
    settings = OrbitSettings(jwt_secret=SECRET, service_token="from-the-identity-provider")
    assert service_bearer(settings)() == "from-the-identity-provider"
