"""The operator's ``orbit`` commands as processes: ``orbit dlq`` on a service's database
(list, show, discard, replay of what cannot be replayed; exit codes), ``orbit run``'s first
lines, and readable log lines (``ORBIT_LOG_FORMAT=text``)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from services import cli
from services.cli import run_banner
from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine
from shared.logging import JsonFormatter, TextFormatter, log_fields
from shared.migrations import migrate
from shared.tables import dead_letters


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


def test_orbit_dlq_list_show_replay_discard(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'clients.db'}"
    asyncio.run(_park(url))
    monkeypatch.setenv("ORBIT_CLIENTS_DATABASE_URL", url)
    monkeypatch.setenv("ORBIT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "configure_logging", lambda *args: None)  # keep pytest's capture

    def orbit(*args: str) -> tuple[int, str]:
        code = cli.main(["dlq", *args])
        return code, capsys.readouterr().out

    code, listed = orbit("list", "clients")
    lines = listed.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("1\t") and "parked" in lines[0]

    code, shown = orbit("show", "clients", "--id", "2")
    assert code == 0 and json.loads(shown)["payload"] == "{not json"
    assert orbit("show", "clients", "--id", "9")[0] == 1
    assert orbit("replay", "clients")[0] == 2  # neither --id nor --all

    # Nothing in clients handles orbit.x events, and a non-CloudEvent cannot be replayed.
    with caplog.at_level(logging.INFO, logger="orbit.dlq"):
        code, replayed = orbit("replay", "clients", "--all")
    assert code == 1
    assert [line.split("\t")[2] for line in replayed.splitlines()] == [
        "not_replayable",
        "not_replayable",
    ]
    assert [r.name for r in caplog.records if r.name == "orbit.dlq"] == ["orbit.dlq"] * 2

    code, discarded = orbit("discard", "clients", "--id", "2")
    assert code == 0 and "\tdiscarded" in discarded
    assert asyncio.run(_resolutions(url)) == [None, "discarded"]
    assert len(orbit("list", "clients")[1].splitlines()) == 1
    everything = orbit("list", "clients", "--all")[1].splitlines()
    assert "parked" in everything[0] and "discarded" in everything[1]


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
