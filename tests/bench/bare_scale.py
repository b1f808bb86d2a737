"""The FLOOR of the department-scale section, not product code: a bare FastAPI app that serves
each endpoint's raw query (the statements one call of it sends to PostgreSQL, with their
arguments, as ``tests.bench.caught`` caught them: what the section times with asyncpg alone)
and nothing else — no authentication, no scope resolved, no models, no page cursor: one
asyncpg pool per service database (the start-up frozen out of the collector's sight, as
``orbit serve`` does), the statements run in turn on one connection (in a transaction when
Orbit's call ran them in one), their rows written as JSON by pydantic-core.

``GET /raw/{index}/{kind}``: the raw query of ``ENDPOINTS[index]`` as ``kind`` (manager, head).
What it costs over the raw query is what any Python HTTP service on this machine pays per call
(uvicorn, the ASGI app, the rows decoded and written); Orbit is compared with both.

Run: ``BARE_SCALE_DSNS='{"clients": "postgresql://…", …}' BARE_SCALE_STATEMENTS=statements.pickle
uvicorn tests.bench.bare_scale:app`` (the pickle the section wrote of what it caught).
"""

from __future__ import annotations

import gc
import json
import os
import pickle
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pydantic_core
from fastapi import FastAPI, HTTPException, Request, Response

from tests.bench.caught import raw_pool, run_statements
from tests.bench.scale import CALLERS, CONNECTIONS, ENDPOINTS


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    dsns: dict[str, str] = json.loads(os.environ["BARE_SCALE_DSNS"])
    # what the bench caught of Orbit's calls (tests.bench.caught), its own file
    app.state.statements = pickle.loads(Path(os.environ["BARE_SCALE_STATEMENTS"]).read_bytes())
    app.state.pools = {
        service: await raw_pool(dsn, min_size=1, max_size=CONNECTIONS)
        for service, dsn in dsns.items()
    }
    gc.freeze()  # as orbit serve does: a full collection walks what requests made, not imports
    try:
        yield
    finally:
        for pool in app.state.pools.values():
            await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/raw/{index}/{kind}")
async def raw(index: int, kind: str, request: Request) -> Response:
    if not 0 <= index < len(ENDPOINTS) or kind not in CALLERS:
        raise HTTPException(404)
    endpoint = ENDPOINTS[index]
    statements = request.app.state.statements[(endpoint.path, kind)]
    async with request.app.state.pools[endpoint.service].acquire() as conn:
        results = await run_statements(conn, statements)
    body: list[list[dict[str, Any]]] = [[dict(row) for row in rows] for rows in results]
    return Response(pydantic_core.to_json(body), media_type="application/json")


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ok"}
