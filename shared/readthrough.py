"""Read-your-writes for the replicas of the clients service's data (``shared.replicas``).

A client, contact or member of staff the clients service (the owner) has committed is usable
at once by the other services, before its event reaches them: a lookup that misses its
replica asks the owner (:class:`ReadThrough`), writes what it answers into the replica by the
same versioned upsert as the events (``shared.replica_store.put_client`` / ``put_staff``: a later
event of the same or an older version changes nothing, a newer one wins), and looks again.

- the owner does not know the id: the miss stands (404, or the use case's 422);
- the owner cannot be reached (refused, timed out, failing): :class:`OwnerUnavailable`, a 503
  with ``Retry-After``, never an answer that looks final.

The owner is the clients service's runtime in the same process (``orbit run``: a read of its
database, :func:`link_owners`) or its internal HTTP endpoint at ``ORBIT_CLIENTS_URL``
(``orbit serve``: :func:`http_owner`, with a service-role token and
``ORBIT_OWNER_TIMEOUT_SECONDS``). A service without either (a replica service served alone,
unconfigured) keeps the replica as the only answer, and says so at start-up.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import issue_token
from shared.errors import Unavailable
from shared.metrics import READS_THROUGH
from shared.replica_store import client_replica, put_client, put_staff
from shared.settings import OrbitSettings

log = logging.getLogger("orbit.readthrough")

Kind = Literal["client", "staff"]
# The owner's state of one client (``{"client": snapshot, "manager": staff or null}``) or
# member of staff (``{"staff": snapshot}``), as JSON; None when it does not know the id.
# Raises OwnerUnavailable when it cannot answer.
OwnerFetch = Callable[[Kind, uuid.UUID], Awaitable[dict[str, Any] | None]]

# session.info keys: the service's read-through, and "this session only reads".
SESSION_KEY = "orbit.read_through"
READS_KEY = "orbit.reads"
# The internal endpoints of the clients service (services/clients/api/replicas.py).
OWNER_PATHS: dict[Kind, str] = {
    "client": "/internal/v1/replica/clients/{id}",
    "staff": "/internal/v1/replica/staff/{id}",
}
# The subject of the service tokens a replica service signs (role ``service``).
SERVICE_SUBJECT = uuid.UUID("00000000-0000-4000-8000-00000000a11e")
TOKEN_SECONDS = 300


class OwnerUnavailable(Unavailable):
    """The clients service did not answer whether it knows an object: 503, retry later."""


class ReadThrough:
    """One service's way to its owner (``fetch``, None: none configured) and its write
    sessions (for a miss found by a read-only session)."""

    def __init__(
        self,
        service: str,
        writes: async_sessionmaker[AsyncSession],
        fetch: OwnerFetch | None = None,
    ) -> None:
        self.service = service
        self.writes = writes
        self.fetch = fetch
        self.close: Callable[[], Awaitable[None]] | None = None

    async def client(self, session: AsyncSession, client_id: uuid.UUID) -> bool:
        """Ask the owner for the client and write it (its contacts and its manager too) into
        the replica; False when the owner does not know it (or there is no owner)."""
        if self.fetch is None:
            return False
        if session.info.get(READS_KEY):
            async with self.writes() as writer:
                found = await self._client(writer, client_id)
                await writer.commit()
            # The read's transaction ends (nothing to keep: expire_on_commit is off), so its
            # next statement sees what was just written (SQLite: a new snapshot).
            await session.commit()
            return found
        return await self._client(session, client_id)

    async def _client(self, session: AsyncSession, client_id: uuid.UUID) -> bool:
        # The replica row (if any) locked first: a contact event applied meanwhile waits for
        # this transaction, so the owner's list of contacts written below is never older
        # than what the replica had (PostgreSQL; SQLite serialises writers anyway).
        await session.execute(
            select(client_replica.c.id)
            .where(client_replica.c.id == client_id)
            .with_for_update(of=client_replica, key_share=True)
        )
        state = await self._fetch("client", client_id)
        if state is None:
            return False
        if state.get("manager"):
            await put_staff(session, state["manager"], state["manager"]["updated_at"])
        client = state["client"]
        await put_client(session, client, client["updated_at"], contacts_as_of_now=True)
        return True

    async def staff(self, staff_id: uuid.UUID) -> bool:
        """Ask the owner for the member of staff and write them into the replica (in a
        transaction of its own); False when the owner does not know them."""
        if self.fetch is None:
            return False
        state = await self._fetch("staff", staff_id)
        if state is None:
            return False
        async with self.writes() as writer:
            await put_staff(writer, state["staff"], state["staff"]["updated_at"])
            await writer.commit()
        return True

    async def _fetch(self, kind: Kind, object_id: uuid.UUID) -> dict[str, Any] | None:
        assert self.fetch is not None
        counted = READS_THROUGH.labels(self.service, kind, "unavailable")
        try:
            state = await self.fetch(kind, object_id)
        except OwnerUnavailable:
            counted.inc()
            raise
        except Exception as exc:  # the owner's database, or anything else on the way
            counted.inc()
            log.warning("cannot read %s %s from the clients service: %r", kind, object_id, exc)
            raise unavailable(kind, object_id) from exc
        READS_THROUGH.labels(self.service, kind, "unknown" if state is None else "found").inc()
        return state


def unavailable(kind: Kind, object_id: uuid.UUID) -> OwnerUnavailable:
    return OwnerUnavailable(
        f"{kind} {object_id} is not known here yet and the clients service cannot be "
        "reached to confirm it; retry later"
    )


def read_through_of(session: AsyncSession) -> ReadThrough | None:
    found = session.info.get(SESSION_KEY)
    return found if isinstance(found, ReadThrough) else None


async def refresh_client(session: AsyncSession, client_id: uuid.UUID) -> bool:
    """After a replica miss on ``client_id`` (not there, out of the caller's scope, or a
    contact not among its contacts): bring the client up to the owner's state. True when the
    owner knows it (look again), False when not (the miss is the answer)."""
    read_through = read_through_of(session)
    return read_through is not None and await read_through.client(session, client_id)


async def refresh_staff(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """:func:`refresh_client` for a member of staff (written in a transaction of its own)."""
    read_through = read_through_of(session)
    return read_through is not None and await read_through.staff(staff_id)


def service_bearer(settings: OrbitSettings) -> Callable[[], str]:
    """The credential of the reads from the owner: ``ORBIT_SERVICE_TOKEN``, else a ``service``
    token signed with ``ORBIT_JWT_SECRET`` (with ``ORBIT_JWT_AUDIENCE`` when set), renewed
    when half its life is gone."""
    signed: list[tuple[str, float]] = []

    def bearer() -> str:
        if settings.service_token:
            return settings.service_token
        now = time.time()
        if not signed or signed[0][1] < now + TOKEN_SECONDS / 2:
            audience = {"aud": settings.jwt_audience} if settings.jwt_audience else {}
            token = issue_token(
                settings.jwt_secret, SERVICE_SUBJECT, "service", TOKEN_SECONDS, **audience
            )
            signed[:] = [(token, now + TOKEN_SECONDS)]
        return signed[0][0]

    return bearer


class InternalClient:
    """GETs from (and POSTs to) another service's ``/internal/v1/...`` endpoints at
    ``base_url``, with a ``service`` token (:func:`service_bearer`) and
    ``ORBIT_OWNER_TIMEOUT_SECONDS`` (or ``timeout``): the read-through here, the owner lookups
    (``shared.owners``), the documents (``shared.documents``), the imports run by another
    service (``shared.imports``) and the files other services keep (``shared.kept_files``). A
    404 is ``None``; an unreachable service or any other answer is logged and raised as the
    caller's ``failure(why)``, never taken for an answer."""

    def __init__(
        self, settings: OrbitSettings, base_url: str, *, timeout: float | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout or settings.owner_timeout_seconds
        )
        self._bearer = service_bearer(settings)

    async def get(self, path: str, failure: Callable[[str], Exception]) -> httpx.Response | None:
        return await self._send("GET", path, failure)

    async def _send(
        self, method: str, path: str, failure: Callable[[str], Exception], **body: Any
    ) -> httpx.Response | None:
        try:
            response = await self._client.request(
                method, path, headers={"Authorization": f"Bearer {self._bearer()}"}, **body
            )
        except httpx.HTTPError as exc:
            log.warning("%s%s unreachable: %r", self.base_url, path, exc)
            raise failure(repr(exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code not in (200, 201):
            why = f"answered {response.status_code}: {response.text[:300]}"
            log.warning("%s%s %s", self.base_url, path, why)
            raise failure(why)
        return response

    async def post(
        self, path: str, failure: Callable[[str], Exception], **body: Any
    ) -> httpx.Response | None:
        """:meth:`get`'s POST: ``body`` is httpx's (``json=``, ``data=``, ``files=``); a 200 or
        a 201 is the answer."""
        return await self._send("POST", path, failure, **body)

    async def aclose(self) -> None:
        await self._client.aclose()


def http_owner(settings: OrbitSettings) -> tuple[OwnerFetch, Callable[[], Awaitable[None]]]:
    """The fetch from the clients service at ``ORBIT_CLIENTS_URL``, and its closing."""
    assert settings.clients_url
    client = InternalClient(settings, settings.clients_url)

    async def fetch(kind: Kind, object_id: uuid.UUID) -> dict[str, Any] | None:
        response = await client.get(
            OWNER_PATHS[kind].format(id=object_id), lambda why: unavailable(kind, object_id)
        )
        if response is None:
            return None
        state: dict[str, Any] = response.json()
        return state

    return fetch, client.aclose
