"""``Idempotency-Key`` for creating POSTs: a retry with the same key and body returns the first
response (same status and body); the same key with another body is a 409.

One shape of idempotency: the key is a unique row written in the same transaction as the
effect. Concurrent duplicates are serialised before they run the command: on PostgreSQL each
transaction first takes a transaction-scoped advisory lock on (caller, key) and only then
looks for a stored response, so a duplicate waits for the first request to commit and
replays it (or, when the first is still running after ``IN_PROGRESS_WAIT_SECONDS``, answers
409 "in progress"); on SQLite every write transaction begins ``IMMEDIATE``, which serialises
them the same way. The unique row stays the last line of defence.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import insert, select

from shared.db import advisory_xact_lock
from shared.errors import BadRequest, Conflict
from shared.tables import idempotency_keys
from shared.uow import UnitOfWork

# How long a duplicate waits for the request holding its key before answering 409.
IN_PROGRESS_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str
    method: str
    path: str
    request_hash: str


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical: Any = json.loads(body) if body else None
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    except ValueError:
        text = body.decode(errors="replace")
    return hashlib.sha256(f"{method} {path}\n{text}".encode()).hexdigest()


MAX_KEY_LENGTH = 200


def _key_schema(schema: dict[str, Any]) -> None:
    """The header's OpenAPI schema: a string of 1 to 200 characters (an optional header is
    absent, never null). Documented only: a key out of bounds is the 400 of
    :func:`idempotency_request`, not a 422 of validation."""
    schema.pop("anyOf", None)
    schema.update(type="string", minLength=1, maxLength=MAX_KEY_LENGTH)


async def idempotency_request(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="a retry with the same key and body replays the first response; "
            f"1 to {MAX_KEY_LENGTH} characters, else 400",
            json_schema_extra=_key_schema,
        ),
    ] = None,
) -> IdempotencyRequest | None:
    if idempotency_key is None:
        return None
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    body = await request.body()
    return IdempotencyRequest(
        key,
        request.method,
        request.url.path,
        request_fingerprint(request.method, request.url.path, body),
    )


IdempotencyKey = Annotated[IdempotencyRequest | None, Depends(idempotency_request)]


async def stored_response(
    uow: UnitOfWork, caller_id: str, idem: IdempotencyRequest
) -> JSONResponse | None:
    """The response stored under (caller, key), replayed; 409 when the key was used with
    another request."""
    row = (
        await uow.session.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.caller_id == caller_id, idempotency_keys.c.key == idem.key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != idem.request_hash:
        raise Conflict("Idempotency-Key was already used with another request")
    return JSONResponse(
        json.loads(row.response_body),
        status_code=row.status_code,
        headers={"Idempotent-Replayed": "true"},
    )


def _lock_id(caller_id: str, key: str) -> int:
    """A signed 64-bit advisory lock key for (caller, key)."""
    digest = hashlib.sha256(f"orbit.idempotency\n{caller_id}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def claim(uow: UnitOfWork, caller_id: str, key: str, wait: float) -> bool:
    """Hold (caller, key) for the rest of this transaction; False if another request kept it
    longer than ``wait`` seconds (polled: one statement when the key is free)."""
    lock_id = _lock_id(caller_id, key)
    deadline = time.monotonic() + wait
    while not await advisory_xact_lock(uow.session, lock_id, wait=False):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(_POLL_SECONDS)
    return True


async def replay_or_claim(
    uow: UnitOfWork, caller_id: str, idem: IdempotencyRequest
) -> JSONResponse | None:
    """Hold (caller, key) for this transaction and return the stored response of an earlier
    request with the key (replayed), or None when this request is the first. 409 when
    another request holds the key longer than ``IN_PROGRESS_WAIT_SECONDS``, or used it with
    another body."""
    if not await claim(uow, caller_id, idem.key, IN_PROGRESS_WAIT_SECONDS):
        raise Conflict(
            "a request with this Idempotency-Key is in progress; retry it later to get its response"
        )
    return await stored_response(uow, caller_id, idem)


async def remember_response(
    uow: UnitOfWork, caller_id: str, idem: IdempotencyRequest, status_code: int, body: Any
) -> None:
    """Store the response under (caller, key), in the transaction of the effect."""
    await uow.session.execute(
        insert(idempotency_keys).values(
            caller_id=caller_id,
            key=idem.key,
            method=idem.method,
            path=idem.path,
            request_hash=idem.request_hash,
            status_code=status_code,
            response_body=json.dumps(body),
            created_at=uow.clock.now(),
        )
    )
