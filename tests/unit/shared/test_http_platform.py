"""problem+json errors, Idempotency-Key, request ids and health on a small app of its own."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from shared.clock import SystemClock
from shared.commands import run_command
from shared.db import create_engine, session_factory
from shared.errors import Conflict, Forbidden, Invalid, NotFound, install_error_handlers
from shared.idempotency import IdempotencyKey, request_fingerprint
from shared.logging import JsonFormatter, RequestContextMiddleware, log_fields, request_id_var
from shared.tables import platform_metadata
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.support.net import free_port
from tests.support.waiting import eventually

things_metadata = MetaData()
things = Table(
    "things", things_metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
)


class ThingIn(BaseModel):
    name: str = Field(min_length=1)
    size: int = Field(ge=0)


class ThingOut(BaseModel):
    id: int
    name: str


@pytest.fixture
async def client(sqlite_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
        await conn.run_sync(things_metadata.create_all)
    uow_factory = UnitOfWorkFactory(session_factory(engine), SystemClock())
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)

    def caller(x_caller: Annotated[str, Header()] = "anon") -> str:
        return x_caller

    async def add(uow: UnitOfWork, body: ThingIn) -> ThingOut:
        result = await uow.session.execute(insert(things).values(name=body.name))
        return ThingOut(id=result.inserted_primary_key[0], name=body.name)

    @app.post("/things", status_code=201)
    async def create(
        body: ThingIn, idem: IdempotencyKey, who: str = Depends(caller)
    ) -> JSONResponse:
        return await run_command(
            uow_factory,
            lambda uow: add(uow, body),
            lambda thing: thing,
            caller_id=who,
            idempotency=idem,
            status_code=201,
        )

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    @app.get("/errors/{kind}")
    async def errors(kind: str) -> None:
        raise {
            "404": NotFound("no such thing"),
            "409": Conflict("taken"),
            "403": Forbidden("not yours"),
            "422": Invalid.field("sla.calendar.timezone", "unknown timezone"),
        }[kind]

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        http.count = lambda: _count(uow_factory)  # type: ignore[attr-defined]
        http.app = app  # type: ignore[attr-defined]
        yield http
    await engine.dispose()


async def _count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(things)) or 0)


async def test_idempotency_key_replays_the_first_response(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "abc"}
    first = await client.post("/things", json={"name": "a", "size": 1}, headers=headers)
    # the same body, keys in another order: the same request
    again = await client.post(
        "/things",
        content=b'{"size": 1, "name": "a"}',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await client.count() == 1  # type: ignore[attr-defined]
    other = await client.post("/things", json={"name": "b", "size": 1}, headers=headers)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    # keys are per caller; no key means no deduplication
    assert (
        await client.post(
            "/things", json={"name": "a", "size": 1}, headers=headers | {"X-Caller": "someone"}
        )
    ).status_code == 201
    assert (await client.post("/things", json={"name": "a", "size": 1})).status_code == 201
    assert await client.count() == 3  # type: ignore[attr-defined]


async def test_a_failed_command_stores_no_key(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/things", json={"name": "", "size": 1}, headers={"Idempotency-Key": "k"}
    )
    assert bad.status_code == 422
    good = await client.post(
        "/things", json={"name": "x", "size": 1}, headers={"Idempotency-Key": "k"}
    )
    assert good.status_code == 201


def test_fingerprint_ignores_key_order_and_whitespace() -> None:
    a = request_fingerprint("POST", "/x", b'{"a": 1, "b": [1, 2]}')
    assert a == request_fingerprint("POST", "/x", b'{"b":[1,2],"a":1}')
    assert a != request_fingerprint("POST", "/y", b'{"a": 1, "b": [1, 2]}')
    assert a != request_fingerprint("POST", "/x", b'{"a": 2, "b": [1, 2]}')


async def test_validation_errors_are_problem_json_naming_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"name": "", "size": -1})
    body = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert sorted(e["loc"] for e in body["errors"]) == [["body", "name"], ["body", "size"]]
    malformed = await client.post(
        "/things", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 422


@pytest.mark.parametrize("kind", ["403", "404", "409", "422"])
async def test_domain_errors_map_to_their_status(client: httpx.AsyncClient, kind: str) -> None:
    response = await client.get(f"/errors/{kind}")
    assert response.status_code == int(kind)
    body = response.json()
    assert body["status"] == int(kind) and body["type"].startswith("https://")
    if kind == "422":
        assert body["errors"] == [
            {"loc": ["body", "sla", "calendar", "timezone"], "msg": "unknown timezone"}
        ]


async def test_unexpected_errors_are_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "postgres" not in response.text and "secret" not in response.text
    missing = await client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["status"] == 404


async def test_a_405_is_problem_json_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/things")
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "POST"
    assert response.json()["type"].endswith("/method-not-allowed")


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/errors/404", headers={"X-Request-ID": "req-123"})
    assert given.headers["X-Request-ID"] == "req-123"
    made = await client.get("/errors/404")
    assert len(made.headers["X-Request-ID"]) == 32


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord(
            "orbit.test", logging.INFO, __file__, 1, "hello %s", ("world",), None
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello world" and line["request_id"] == "req-42"
    assert line["level"] == "info" and line["logger"] == "orbit.test"


# --- the 500 path: one log line with the traceback and the request id -------------------------


class JsonLines(logging.Handler):
    """Every log line as the JSON formatter writes it, formatted when it is logged (so the
    request id and the other context fields are those of that moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def with_traceback(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if "exc" in line]


@pytest.fixture
def logged() -> Iterator[JsonLines]:
    root = logging.getLogger()
    handler, level = JsonLines(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_500_is_logged_once_with_its_request_id_and_never_reaches_the_server(
    client: httpx.AsyncClient, logged: JsonLines
) -> None:
    # raise_app_exceptions=True: an exception escaping the app (which the server would log a
    # second time) would fail the request here.
    transport = httpx.ASGITransport(app=client.app, raise_app_exceptions=True)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as strict:
        response = await strict.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "An unexpected error occurred."
    (error,) = logged.with_traceback()
    assert error["level"] == "error" and error["request_id"] == "req-500"
    assert "RuntimeError: secret connection string" in error["exc"]
    assert error["msg"] == "unhandled error on GET /boom"
    access = [line for line in logged.lines if line["logger"] == "orbit.http"]
    assert [(a["msg"].split()[:3], a["request_id"]) for a in access] == [
        (["GET", "/boom", "500"], "req-500")
    ]


async def test_uvicorn_logs_an_unexpected_error_once(logged: JsonLines) -> None:
    """Through a real uvicorn server: its own "Exception in ASGI application" never shows."""
    import uvicorn

    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=10, interval=0.02, what="uvicorn to start")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get("/boom")
    finally:
        server.should_exit = True
        await task
    assert response.status_code == 500 and len(response.headers["X-Request-ID"]) == 32
    (error,) = logged.with_traceback()
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "kaboom" in error["exc"]
    assert not [
        line
        for line in logged.lines
        if line["logger"].startswith("uvicorn.error")
        and "Exception in ASGI application" in line["msg"]
    ]


def test_log_fields_name_the_work_a_line_belongs_to() -> None:
    def line(**extra: Any) -> dict[str, Any]:
        record = logging.LogRecord("orbit.test", logging.INFO, __file__, 1, "m", (), None)
        record.__dict__.update(extra)
        return dict(json.loads(JsonFormatter().format(record)))

    assert "service" not in line() and "event_id" not in line()
    with log_fields(service="clients"):
        with log_fields(event_id="e-1", event_type="orbit.x.y.z.v1"):
            assert {k: line()[k] for k in ("service", "event_id", "event_type")} == {
                "service": "clients",
                "event_id": "e-1",
                "event_type": "orbit.x.y.z.v1",
            }
            assert line(event_id="e-2")["event_id"] == "e-2"  # extra= wins
        assert line()["service"] == "clients" and "event_id" not in line()
    assert "service" not in line()
    with pytest.raises(ValueError), log_fields(colour="blue"):
        pass


# --- the database unreachable: 503, and only when it is the database --------------------------


async def test_503_only_when_the_database_cannot_be_used(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    unusable = create_engine(f"sqlite+aiosqlite:///{folder}")  # not a database file
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)

    @app.get("/query")
    async def query() -> None:
        async with unusable.connect() as connection:
            await connection.execute(select(1))

    @app.get("/other-connection")
    async def other_connection() -> None:
        raise ConnectionRefusedError(111, "not the database: a webhook target")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        down = await http.get("/query")
        other = await http.get("/other-connection")
    await unusable.dispose()
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert down.json()["title"] == "Service Unavailable" and "a-folder" not in down.text
    assert other.status_code == 500 and "Retry-After" not in other.headers
