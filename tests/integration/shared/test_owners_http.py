"""The clients service's way to the owner of a document kept by another service when they run
as separate processes (``orbit serve``): ``shared.owners.http_owner_lookup`` against the real
interactions service behind a real HTTP server (uvicorn on loopback), its internal endpoint
``/internal/v1/owners/{owner_type}/{id}`` with a ``service`` token; and a service that does not
answer."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services.interactions.app import create_app
from shared.owners import OwnerServiceUnavailable, http_owner_lookup
from tests.support.apps import auth, running, runtime_of, served, test_settings
from tests.support.net import free_port
from tests.support.replicas import seed_client, seed_staff

pytestmark = pytest.mark.integration


async def test_the_interactions_service_names_an_interaction_s_client(tmp_path: Path) -> None:
    settings = test_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}")
    app = create_app(settings, migrate_on_start=True, workers=False)
    manager, client = uuid.uuid4(), uuid.uuid4()
    async with running(app) as http, served(app) as url:
        runtime = runtime_of(app, "interactions")
        now = runtime.clock.now()
        async with runtime.uow() as uow:
            await seed_staff(uow.session, manager, "Mia", at=now)
            await seed_client(uow.session, client, "Acme", manager, at=now)
            await uow.commit()
        logged = await http.post(
            "/api/v1/interactions",
            headers=auth(manager, "manager"),
            json={
                "client_id": str(client),
                "type": "call",
                "direction": "outbound",
                "occurred_at": now.isoformat(),
            },
        )
        assert logged.status_code == 201, logged.text
        interaction = uuid.UUID(logged.json()["id"])

        lookup, close = http_owner_lookup(settings, url)
        try:
            assert await lookup("interaction", interaction) == client
            assert await lookup("interaction", uuid.uuid4()) is None
            assert await lookup("contract", interaction) is None  # billing's, not here
        finally:
            await close()
        # Internal: a member of staff's token is refused.
        refused = await http.get(
            f"/internal/v1/owners/interaction/{interaction}", headers=auth(manager, "manager")
        )
        assert refused.status_code == 403


async def test_an_owner_service_that_does_not_answer_is_a_503() -> None:
    lookup, close = http_owner_lookup(test_settings(), f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(OwnerServiceUnavailable):
            await lookup("invoice", uuid.uuid4())
    finally:
        await close()
