"""problem+json errors, Idempotency-Key, request ids and health on a small app of its own."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.errors import Conflict, Forbidden, Invalid, NotFound, install_error_handlers
from shared.idempotency import IdempotencyKey, request_fingerprint, run_command
from shared.logging import JsonFormatter, RequestContextMiddleware, request_id_var
from shared.tables import platform_metadata
from shared.uow import UnitOfWork, UnitOfWorkFactory

things_metadata = MetaData()
things = Table("things", things_metadata, Column("id", Integer, primary_key=True),
               Column("name", String(50)))


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
    async def create(body: ThingIn, idem: IdempotencyKey,
                     who: str = Depends(caller)) -> JSONResponse:
        return await run_command(uow_factory, lambda uow: add(uow, body), caller_id=who,
                                 idempotency=idem, status_code=201)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    @app.get("/errors/{kind}")
    async def errors(kind: str) -> None:
        raise {"404": NotFound("no such thing"), "409": Conflict("taken"),
               "403": Forbidden("not yours"),
               "422": Invalid.field("sla.calendar.timezone", "unknown timezone")}[kind]

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        http.count = lambda: _count(uow_factory)  # type: ignore[attr-defined]
        yield http
    await engine.dispose()


async def _count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(things)) or 0)


async def test_idempotency_key_replays_the_first_response(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "abc"}
    first = await client.post("/things", json={"name": "a", "size": 1}, headers=headers)
    # the same body, keys in another order: the same request
    again = await client.post("/things", content=b'{"size": 1, "name": "a"}',
                              headers=headers | {"Content-Type": "application/json"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await client.count() == 1  # type: ignore[attr-defined]
    other = await client.post("/things", json={"name": "b", "size": 1}, headers=headers)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    # keys are per caller; no key means no deduplication
    assert (await client.post("/things", json={"name": "a", "size": 1},
                              headers=headers | {"X-Caller": "someone"})).status_code == 201
    assert (await client.post("/things", json={"name": "a", "size": 1})).status_code == 201
    assert await client.count() == 3  # type: ignore[attr-defined]


async def test_a_failed_command_stores_no_key(client: httpx.AsyncClient) -> None:
    bad = await client.post("/things", json={"name": "", "size": 1},
                            headers={"Idempotency-Key": "k"})
    assert bad.status_code == 422
    good = await client.post("/things", json={"name": "x", "size": 1},
                             headers={"Idempotency-Key": "k"})
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
    malformed = await client.post("/things", content=b"{oops",
                                  headers={"Content-Type": "application/json"})
    assert malformed.status_code == 422


@pytest.mark.parametrize("kind", ["403", "404", "409", "422"])
async def test_domain_errors_map_to_their_status(client: httpx.AsyncClient, kind: str) -> None:
    response = await client.get(f"/errors/{kind}")
    assert response.status_code == int(kind)
    body = response.json()
    assert body["status"] == int(kind) and body["type"].startswith("https://")
    if kind == "422":
        assert body["errors"] == [{"loc": ["body", "sla", "calendar", "timezone"],
                                   "msg": "unknown timezone"}]


async def test_unexpected_errors_are_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "postgres" not in response.text and "secret" not in response.text
    missing = await client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["status"] == 404


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/errors/404", headers={"X-Request-ID": "req-123"})
    assert given.headers["X-Request-ID"] == "req-123"
    made = await client.get("/errors/404")
    assert len(made.headers["X-Request-ID"]) == 32


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("orbit.test", logging.INFO, __file__, 1, "hello %s",
                                   ("world",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello world" and line["request_id"] == "req-42"
    assert line["level"] == "info" and line["logger"] == "orbit.test"
