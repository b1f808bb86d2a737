"""Running a use case from a route: one unit of work, one commit.

:func:`run_command` runs a command (a use case bound to its arguments) that returns an entity,
presents the entity as the response body (``present``: entity -> pydantic model, called inside
the unit of work before the commit, so it may read the entity's loaded state), and honours
an ``Idempotency-Key`` (``shared.idempotency``: the stored response is written in the same
transaction as the effect). :func:`execute` runs one without a response body (a DELETE).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from shared.errors import Conflict
from shared.idempotency import (
    IdempotencyRequest,
    remember_response,
    replay_or_claim,
    stored_response,
)
from shared.uow import UnitOfWork, UnitOfWorkFactory

E = TypeVar("E")


async def run_command(
    uow_factory: UnitOfWorkFactory,
    command: Callable[[UnitOfWork], Awaitable[E]],
    present: Callable[[E], BaseModel],
    *,
    caller_id: object,
    idempotency: IdempotencyRequest | None = None,
    status_code: int = 200,
    status_of: Callable[[E], int] | None = None,
) -> JSONResponse:
    """Run one use case in one unit of work and commit once, honouring an Idempotency-Key;
    the response body is ``present(entity)`` of what the use case returns, its status
    ``status_of(entity)`` when the use case decides it (e.g. 201 created, 200 found), else
    ``status_code``. The status is stored with the body: a replay answers the same."""
    caller = str(caller_id)
    async with uow_factory() as uow:
        if idempotency is not None:
            replay = await replay_or_claim(uow, caller, idempotency)
            if replay is not None:
                return replay
        try:
            result = await command(uow)
            body = present(result).model_dump(mode="json")
            if status_of is not None:
                status_code = status_of(result)
            if idempotency is not None:
                await remember_response(uow, caller, idempotency, status_code, body)
            await uow.commit()
        except IntegrityError as exc:
            # A unique constraint hit by a concurrent write (in the use case, or the key row
            # itself if a duplicate got past the lock): replay the stored response if there
            # is one by now, else the write conflicts.
            await uow.session.rollback()
            replay = await stored_response(uow, caller, idempotency) if idempotency else None
            if replay is None:
                raise Conflict("the write conflicts with a concurrent change") from exc
            return replay
    return JSONResponse(body, status_code=status_code)


async def execute(
    uow_factory: UnitOfWorkFactory, command: Callable[[UnitOfWork], Awaitable[None]]
) -> None:
    """Run a use case without a response body (e.g. a DELETE) and commit once."""
    async with uow_factory() as uow:
        await command(uow)
        await uow.commit()
