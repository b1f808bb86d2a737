"""A service opens a way to another only when it uses it (shared/runtime.py): with every URL
configured, as under ``orbit serve`` in compose, only notifications fetches the documents
billing renders and only interactions hands files to the clients service."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from shared.messaging.inprocess import InProcessBus
from shared.runtime import ServiceRuntime
from shared.settings import SERVICES, OrbitSettings

FETCHES_DOCUMENTS = {"notifications"}
HANDS_FILES = {"interactions"}


@pytest.mark.parametrize("service", SERVICES)
async def test_only_the_users_of_another_service_open_a_way_to_it(
    service: str, tmp_path: Path
) -> None:
    spec = importlib.import_module(f"services.{service}.app").SPEC
    settings = OrbitSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{{service}}.db",
        clients_url="http://clients.invalid",
        interactions_url="http://interactions.invalid",
        billing_url="http://billing.invalid",
    )
    runtime = ServiceRuntime(spec, settings, InProcessBus())
    try:
        assert (runtime.documents is not None) == (service in FETCHES_DOCUMENTS)
        assert (runtime.files is not None) == (service in HANDS_FILES)
    finally:
        await runtime.dispose()
