"""An endpoint's raw query, as the benchmarks compare Orbit with it: every statement one call
of the endpoint sends to PostgreSQL, with its arguments as asyncpg got them from SQLAlchemy,
caught (``before_cursor_execute``) on the service's app in the bench's own process; then run
again with asyncpg alone, in turn on one connection, in a transaction when the call ran them
in one (and at its isolation level), else in autocommit as Orbit's reads do."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

K = TypeVar("K")


@dataclass(frozen=True)
class Statement:
    sql: str
    args: tuple[Any, ...]
    isolation: str | None  # the connection's isolation level ("AUTOCOMMIT": none begun)


_CAUGHT: ContextVar[list[Statement] | None] = ContextVar("bench_caught", default=None)


def _catch(
    conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    caught = _CAUGHT.get()
    if caught is not None:
        isolation = conn.get_execution_options().get("isolation_level")
        caught.append(Statement(statement, tuple(parameters or ()), isolation))


@contextmanager
def catching() -> Iterator[list[Statement]]:
    """The statements sent to a database in this context (its task, the tasks it starts, the
    thread pool FastAPI hands work to with it), none from elsewhere (a service's workers)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    caught: list[Statement] = []
    reset = _CAUGHT.set(caught)
    event.listen(Engine, "before_cursor_execute", _catch)
    try:
        yield caught
    finally:
        event.remove(Engine, "before_cursor_execute", _catch)
        _CAUGHT.reset(reset)


async def caught_calls(
    env: Mapping[str, str], service: str, calls: Mapping[K, tuple[str, dict[str, str]]]
) -> dict[K, list[Statement]]:
    """What each of ``calls`` (a URL of ``service`` and its headers) sends to the database: on
    the service's app in this process (its settings from ``env``; no workers, no Kafka), the
    statements of the second of two calls (the first fills the caches a steady load finds
    full: the caller's staff record, the statements built once)."""
    from shared.settings import OrbitSettings

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("ORBIT_")})
    os.environ.pop("ORBIT_KAFKA_BOOTSTRAP", None)
    # (not its warnings of what is not set up here: the other services' URLs)
    orbit_log = logging.getLogger("orbit")
    level = orbit_log.level
    orbit_log.setLevel(logging.ERROR)
    out: dict[K, list[Statement]] = {}
    try:
        app = importlib.import_module(f"services.{service}.app").create_app(
            OrbitSettings(), workers=False
        )
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://orbit") as http,
        ):
            for key, (url, headers) in calls.items():
                for _ in range(2):
                    with catching() as caught:
                        response = await http.get(url, headers=headers)
                    assert response.status_code == 200, (url, response.text[:300])
                assert caught, (url, "no statement caught")
                out[key] = caught
    finally:
        os.environ.clear()
        os.environ.update(saved)
        orbit_log.setLevel(level)
    return out


async def raw_pool(dsn: str, *, min_size: int, max_size: int) -> Any:
    """An asyncpg pool whose connections plan as Orbit's do (``shared.db.server_settings``: no
    parallel workers by default), for running the caught statements alone."""
    import asyncpg

    from shared.db import server_settings
    from shared.settings import OrbitSettings

    settings = server_settings(OrbitSettings().database_parallel_workers)
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, server_settings=settings
    )


# SQLAlchemy's names of the isolation levels (None: the engine's, PostgreSQL's default) as
# asyncpg's transactions take them
_ISOLATION = {
    None: "read_committed",
    "READ COMMITTED": "read_committed",
    "REPEATABLE READ": "repeatable_read",
    "SERIALIZABLE": "serializable",
}


async def run_statements(conn: Any, statements: list[Statement]) -> list[list[Any]]:
    """A call's raw query on an asyncpg connection: its statements in turn, in a transaction
    at the call's isolation level when it began one."""
    levels = {s.isolation for s in statements} - {"AUTOCOMMIT"}
    if not levels:
        return [await conn.fetch(s.sql, *s.args) for s in statements]
    (level,) = levels
    async with conn.transaction(isolation=_ISOLATION[level]):
        return [await conn.fetch(s.sql, *s.args) for s in statements]
