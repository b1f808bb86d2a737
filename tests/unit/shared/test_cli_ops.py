"""The operator's ``orbit`` commands as processes: ``orbit dlq`` on a service's database
(list, show, discard, replay of what cannot be replayed; exit codes), ``orbit run``'s first
lines, and readable log lines (``ORBIT_LOG_FORMAT=text``)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path

from sqlalchemy import insert, select

from services.cli import run_banner
from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine
from shared.logging import JsonFormatter, TextFormatter, log_fields
from shared.migrations import migrate
from shared.tables import dead_letters
from tests.unit.shared.test_cli import orbit


async def _park(url: str) -> None:
    await migrate(CLIENTS.migrations, url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        for payload, event_type in (
            (
                json.dumps(
                    {
                        "specversion": "1.0",
                        "id": str(uuid.uuid4()),
                        "source": "orbit/x",
                        "type": "orbit.x.thing.done.v1",
                        "time": "2026-11-30T08:00:00Z",
                        "data": {},
                    }
                ),
                "orbit.x.thing.done.v1",
            ),
            ("{not json", None),
        ):
            await conn.execute(
                insert(dead_letters).values(
                    event_id=None,
                    event_type=event_type,
                    topic="orbit.x",
                    partition=0,
                    offset=1,
                    payload=payload,
                    error="ValueError('boom')",
                    attempts=4,
                    failed_at=SystemClock().now(),
                )
            )
    await engine.dispose()


async def _resolutions(url: str) -> list[str | None]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(dead_letters.c.resolution))).scalars().all()
    await engine.dispose()
    return list(rows)


def test_orbit_dlq_list_show_replay_discard(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'clients.db'}"
    asyncio.run(_park(url))
    env = {"ORBIT_CLIENTS_DATABASE_URL": url, "ORBIT_LOG_FORMAT": "json"}

    listed = orbit(tmp_path, "dlq", "list", "clients", **env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("1\t") and "parked" in lines[0]

    shown = orbit(tmp_path, "dlq", "show", "clients", "--id", "2", **env)
    assert shown.returncode == 0 and json.loads(shown.stdout)["payload"] == "{not json"
    assert orbit(tmp_path, "dlq", "replay", "clients", **env).returncode == 2  # no --id/--all

    # Nothing in clients handles orbit.x events, and a non-CloudEvent cannot be replayed.
    replayed = orbit(tmp_path, "dlq", "replay", "clients", "--all", **env)
    assert replayed.returncode == 1
    assert [line.split("\t")[2] for line in replayed.stdout.splitlines()] == [
        "not_replayable",
        "not_replayable",
    ]
    assert '"logger": "orbit.dlq"' in replayed.stderr  # every action is logged

    discarded = orbit(tmp_path, "dlq", "discard", "clients", "--id", "2", **env)
    assert discarded.returncode == 0 and "\tdiscarded" in discarded.stdout
    assert asyncio.run(_resolutions(url)) == [None, "discarded"]
    everything = orbit(tmp_path, "dlq", "list", "clients", "--all", **env)
    assert "parked" in everything.stdout.splitlines()[0]
    assert "discarded" in everything.stdout.splitlines()[1]


def test_orbit_run_says_where_the_docs_are_and_how_to_get_a_token() -> None:
    banner = run_banner("0.0.0.0", 8000)
    assert "http://127.0.0.1:8000/docs" in banner
    assert "orbit token --sub" in banner and "--role admin" in banner


def test_text_log_lines_for_a_person_json_for_machines() -> None:
    record = logging.LogRecord("orbit.http", logging.INFO, __file__, 1, "GET / 200", (), None)
    with log_fields(service="clients"):
        text = TextFormatter().format(record)
        plain = json.loads(JsonFormatter().format(record))
    assert "INFO" in text and "orbit.http" in text and "GET / 200" in text
    assert "[service=clients]" in text and not text.startswith("{")
    assert plain["msg"] == "GET / 200" and plain["service"] == "clients"
