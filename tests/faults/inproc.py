"""Shared pieces of the in-process fault scenarios: the per-scenario report row, and the
admin connection that finds and kills a service's database sessions on the real PostgreSQL
(never the server itself: only the backends of the test's own fresh database)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from shared.db import is_database_unreachable
from tests.support.servers import postgres_admin_url
from tests.support.waiting import eventually

T = TypeVar("T")
REPORT = Path(__file__).resolve().parents[2] / "var" / "faults-report.md"


@dataclass(frozen=True)
class Row:
    """One scenario's line of the faults table."""

    scenario: str
    writes: int
    expected: int
    observed: int
    lost: int
    duplicated: int

    def line(self) -> str:
        cells = (self.scenario, self.writes, self.expected, self.observed, self.lost)
        return "| " + " | ".join(str(c) for c in (*cells, self.duplicated)) + " |"


def report(row: Row) -> Row:
    """Print the row and append it to var/faults-report.md (for the lead's table)."""
    print("\nFAULTS", row.line())
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as out:
        out.write(row.line() + "\n")
    return row


def database_of(url: str) -> str:
    name = make_url(url).database
    assert name
    return name


async def admin() -> asyncpg.Connection:
    """A connection to the server's admin database (the test's killer of sessions)."""
    dsn = make_url(postgres_admin_url()).set(drivername="postgresql")
    return await asyncpg.connect(dsn.render_as_string(hide_password=False))


async def connect(url: str) -> asyncpg.Connection:
    """A plain connection to the test's own database (to hold a lock in it)."""
    dsn = make_url(url).set(drivername="postgresql")
    return await asyncpg.connect(dsn.render_as_string(hide_password=False))


async def kill_waiting(killer: asyncpg.Connection, database: str, table: str) -> list[int]:
    """Wait until a session of ``database`` is blocked on a lock while touching ``table``
    (held by the test), then terminate it; returns the pids killed."""

    async def blocked() -> list[int]:
        rows = await killer.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
            " AND query ILIKE $2 AND pid <> pg_backend_pid()",
            database,
            f"%{table}%",
        )
        return [r["pid"] for r in rows]

    pids = await eventually(
        blocked, timeout=30, interval=0.02, what=f"a session blocked on {table}"
    )
    for pid in pids:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    return pids


async def kill_all(killer: asyncpg.Connection, database: str) -> int:
    """Terminate every session of ``database`` (busy or idle in a pool); how many."""
    rows = await killer.fetch(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity"
        " WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return sum(1 for r in rows if r["killed"])


async def settled(probe: Callable[[], Awaitable[T]], *, timeout: float = 30.0) -> T:
    """``probe()`` once the database answers: a session killed by the scenario may still sit
    in the pool, and the first use of it fails (as the services' own retries expect)."""

    async def attempt() -> tuple[T] | None:
        try:
            return (await probe(),)
        except Exception as exc:
            if is_database_unreachable(exc):
                return None
            raise

    (value,) = await eventually(attempt, timeout=timeout, what="the database to answer")
    return value
