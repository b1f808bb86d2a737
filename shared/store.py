"""What every repository needs: a row lock, and one scoped object or 404.

Repositories put the caller's access scope in the query (an object out of scope is simply not
found, so its existence never leaks); :func:`one_or_404` turns "not found" into the 404, and
:func:`locked` locks the rows a use case is about to change.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound

T = TypeVar("T")


def locked(stmt: Select[Any], entity: type[Any]) -> Select[Any]:
    """``stmt`` locking the rows of ``entity`` it selects until the transaction ends.

    FOR NO KEY UPDATE (``key_share=True``): it serialises the use cases that change the row,
    yet lets other transactions insert rows whose foreign keys point at it (their FOR KEY
    SHARE check), which FOR UPDATE would block (inviting deadlocks). The rows are read afresh
    (``populate_existing``), never taken stale from the session. SQLite ignores the lock (it
    serialises writers)."""
    return stmt.with_for_update(of=entity, key_share=True).execution_options(populate_existing=True)


async def one_or_404(
    session: AsyncSession,
    stmt: Select[Any],
    entity: type[T],
    what: str,
    object_id: uuid.UUID,
    *,
    for_update: bool = False,
    params: Mapping[str, Any] | None = None,
) -> T:
    """The one ``entity`` a scoped query selects, locked when ``for_update``; else 404 naming
    ``what`` and its id (an object out of scope is simply not found: its existence is not
    revealed). ``params``: the values of a statement built once with bound parameters."""
    found = await session.scalar(locked(stmt, entity) if for_update else stmt, params)
    if found is None:
        raise NotFound(f"{what} {object_id} not found")
    return cast(T, found)
