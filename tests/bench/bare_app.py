"""The BASELINE of the HTTP benchmark, not product code: a bare FastAPI + asyncpg app doing
what ``POST /api/v1/clients``, ``GET /api/v1/clients/{id}``, ``GET /api/v1/clients`` and
``POST /api/v1/interactions`` do at their core, with nothing around it — one pool, one
statement per request, a pydantic body of the same fields, the same scope condition
(``account_manager_id`` = the caller), no auth, no outbox; an interaction is one row inserted
into a table of its own (no client check, no request, no events).

Run: ``BARE_DATABASE_URL=postgresql://… uvicorn tests.bench.bare_app:app``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Every request acts for one manager (what a bearer token would say); the scope condition of
# the reads is the one Orbit applies to a manager.
MANAGER_ID = uuid.UUID(os.environ.get("BARE_MANAGER_ID", "00000000-0000-4000-8000-00000000000a"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_clients (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    tier text NOT NULL,
    status text NOT NULL,
    account_manager_id uuid,
    tags jsonb NOT NULL,
    country text,
    timezone text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS bare_clients_manager ON bare_clients (account_manager_id);
CREATE INDEX IF NOT EXISTS bare_clients_created ON bare_clients (created_at, id);
CREATE TABLE IF NOT EXISTS bare_interactions (
    id uuid PRIMARY KEY,
    client_id uuid NOT NULL,
    type text NOT NULL,
    direction text NOT NULL,
    occurred_at timestamptz NOT NULL,
    subject text,
    summary text,
    contact_ids jsonb NOT NULL,
    requires_response boolean NOT NULL,
    author_id uuid NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS bare_interactions_client
    ON bare_interactions (client_id, occurred_at, id);
"""


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: Literal["b2b", "b2c"] = "b2b"
    tier: Literal["key", "standard", "small"] = "standard"
    tags: list[str] = Field(default_factory=list)
    country: str | None = None
    timezone: str = "UTC"


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    tier: str
    status: str
    account_manager_id: uuid.UUID | None
    tags: list[str]
    country: str | None
    timezone: str
    created_at: datetime


class Page(BaseModel):
    items: list[ClientOut]
    next_cursor: str | None


class InteractionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID
    type: Literal["call", "email", "meeting", "message", "note"]
    direction: Literal["inbound", "outbound", "internal"]
    occurred_at: datetime
    subject: Annotated[str, StringConstraints(max_length=500)] | None = None
    summary: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    contact_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    requires_response: bool = False


class InteractionOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    type: str
    direction: str
    occurred_at: datetime
    subject: str | None
    summary: str | None
    contact_ids: list[uuid.UUID]
    requires_response: bool
    author_id: uuid.UUID
    created_at: datetime


_INTERACTION_COLUMNS = (
    "id, client_id, type, direction, occurred_at, subject, summary, contact_ids, "
    "requires_response, author_id, created_at"
)
_COLUMNS = "id, name, kind, tier, status, account_manager_id, tags, country, timezone, created_at"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    import json

    async def init(conn: asyncpg.Connection) -> None:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )

    pool = await asyncpg.create_pool(
        os.environ["BARE_DATABASE_URL"], min_size=4, max_size=10, init=init
    )
    async with pool.acquire() as conn:
        await conn.execute(SCHEMA)
    app.state.pool = pool
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


def _out(row: asyncpg.Record) -> ClientOut:
    return ClientOut(**dict(row))


@app.post("/api/v1/clients", status_code=201, response_model=ClientOut)
async def create_client(body: ClientIn, request: Request) -> ClientOut:
    row = await request.app.state.pool.fetchrow(
        f"INSERT INTO bare_clients ({_COLUMNS}) VALUES ($1, $2, $3, $4, 'prospect', $5, $6, $7, "
        f"$8, $9) RETURNING {_COLUMNS}",
        uuid.uuid4(),
        body.name,
        body.kind,
        body.tier,
        MANAGER_ID,
        body.tags,
        body.country,
        body.timezone,
        datetime.now(UTC),
    )
    return _out(row)


@app.get("/api/v1/clients/{client_id}", response_model=ClientOut)
async def get_client(client_id: uuid.UUID, request: Request) -> ClientOut:
    row = await request.app.state.pool.fetchrow(
        f"SELECT {_COLUMNS} FROM bare_clients WHERE id = $1 AND account_manager_id = $2",
        client_id,
        MANAGER_ID,
    )
    if row is None:
        raise HTTPException(404)
    return _out(row)


@app.get("/api/v1/clients", response_model=Page)
async def list_clients(request: Request, limit: int = 50) -> Page:
    rows = await request.app.state.pool.fetch(
        f"SELECT {_COLUMNS} FROM bare_clients WHERE account_manager_id = $1 "
        "ORDER BY created_at, id LIMIT $2",
        MANAGER_ID,
        limit,
    )
    return Page(items=[_out(r) for r in rows], next_cursor=None)


@app.post("/api/v1/interactions", status_code=201, response_model=InteractionOut)
async def log_interaction(body: InteractionIn, request: Request) -> InteractionOut:
    row = await request.app.state.pool.fetchrow(
        f"INSERT INTO bare_interactions ({_INTERACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, "
        f"$6, $7, $8, $9, $10, $11) RETURNING {_INTERACTION_COLUMNS}",
        uuid.uuid4(),
        body.client_id,
        body.type,
        body.direction,
        body.occurred_at,
        body.subject,
        body.summary,
        [str(c) for c in body.contact_ids],
        body.requires_response,
        MANAGER_ID,
        datetime.now(UTC),
    )
    return InteractionOut(**dict(row))
