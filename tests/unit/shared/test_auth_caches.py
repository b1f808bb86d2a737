"""The caches on the request path: verified tokens (TokenVerifier) and staff records
(StaffCache), with their expiry and invalidation."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import pytest

from shared.auth import StaffCache, StaffRecord, TokenVerifier, issue_token
from shared.errors import Unauthorized
from shared.messaging.envelope import CloudEvent
from shared.settings import OrbitSettings

SECRET = "unit-test-secret-0123456789abcdef-0123456789"


def record(staff_id: uuid.UUID, *, active: bool = True, role: str = "manager") -> StaffRecord:
    return StaffRecord(staff_id, role, "north", active)


class Store:
    """The database behind the cache: counts its reads."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, StaffRecord] = {}
        self.reads = 0

    async def lookup(self, staff_id: uuid.UUID) -> StaffRecord | None:
        self.reads += 1
        await asyncio.sleep(0)
        return self.rows.get(staff_id)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def staff_event(staff_id: object, kind: str = "updated") -> CloudEvent:
    return CloudEvent(
        id=uuid.uuid4(),
        source="orbit/clients",
        type=f"orbit.clients.staff.{kind}.v1",
        subject=str(staff_id),
        time="2026-11-30T00:00:00Z",
        data={"staff_id": str(staff_id)},
    )


async def test_a_record_is_read_once_within_the_ttl_then_again() -> None:
    store, clock = Store(), Clock()
    sid = uuid.uuid4()
    store.rows[sid] = record(sid)
    cache = StaffCache(store.lookup, 5, now=clock)
    assert await cache.get(sid) == record(sid)
    assert await cache.get(sid) == record(sid)
    assert store.reads == 1
    clock.t += 5.01
    store.rows[sid] = record(sid, active=False)
    assert (await cache.get(sid)).active is False  # type: ignore[union-attr]
    assert store.reads == 2


async def test_ttl_zero_reads_every_time() -> None:
    store = Store()
    cache = StaffCache(store.lookup, 0)
    for _ in range(3):
        assert await cache.get(uuid.uuid4()) is None
    assert store.reads == 3


async def test_a_staff_event_forgets_that_member_at_once() -> None:
    store, clock = Store(), Clock()
    sid, other = uuid.uuid4(), uuid.uuid4()
    store.rows.update({sid: record(sid), other: record(other)})
    cache = StaffCache(store.lookup, 60, now=clock)
    await cache.get(sid)
    await cache.get(other)
    store.rows[sid] = record(sid, active=False)
    cache.forget_events([staff_event(sid)])
    assert (await cache.get(sid)).active is False  # type: ignore[union-attr]
    await cache.get(other)
    assert store.reads == 3  # only sid was read again


async def test_other_events_forget_nothing() -> None:
    store = Store()
    sid = uuid.uuid4()
    store.rows[sid] = record(sid)
    cache = StaffCache(store.lookup, 60)
    await cache.get(sid)
    event = staff_event(sid)
    cache.forget_events([event.model_copy(update={"type": "orbit.clients.client.updated.v1"})])
    await cache.get(sid)
    assert store.reads == 1


async def test_an_unknown_subject_is_cached_until_staff_is_created() -> None:
    store = Store()
    sid = uuid.uuid4()
    cache = StaffCache(store.lookup, 60)
    assert await cache.get(sid) is None
    store.rows[sid] = record(sid)
    cache.forget_events([staff_event(sid, "created")])
    assert await cache.get(sid) == record(sid)


async def test_a_read_racing_an_invalidation_is_not_kept() -> None:
    """A lookup that started before the change committed must not store the old record."""
    sid = uuid.uuid4()
    started, release = asyncio.Event(), asyncio.Event()
    rows = {sid: record(sid)}
    reads = 0

    async def slow_lookup(staff_id: uuid.UUID) -> StaffRecord | None:
        nonlocal reads
        reads += 1
        old = rows.get(staff_id)  # read before the change commits
        started.set()
        await release.wait()
        return old

    cache = StaffCache(slow_lookup, 60)
    pending = asyncio.create_task(cache.get(sid))
    await started.wait()
    rows[sid] = record(sid, active=False)
    cache.forget_events([staff_event(sid)])
    release.set()
    assert (await pending).active is True  # that request saw the old state...
    started.clear()
    release.set()
    assert (await cache.get(sid)).active is False  # type: ignore[union-attr]  # ...not the next
    assert reads == 2


def verifier() -> TokenVerifier:
    return TokenVerifier(OrbitSettings(env="test", jwt_secret=SECRET))


async def test_a_verified_token_is_not_verified_again(monkeypatch: pytest.MonkeyPatch) -> None:
    v = verifier()
    token = issue_token(SECRET, uuid.uuid4(), "manager")
    calls = 0
    decode = jwt.decode

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting)
    first = await v.decode(token)
    assert await v.decode(token) == first
    assert calls == 1


async def test_a_cached_token_is_verified_again_once_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v = verifier()
    token = issue_token(SECRET, uuid.uuid4(), "manager", ttl_seconds=1)
    calls = 0
    decode = jwt.decode

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if time.time() > kwargs["leeway"] + start + 1:  # type: ignore[operator]
            raise jwt.ExpiredSignatureError("expired")  # what PyJWT says past exp + leeway
        return decode(*args, **kwargs)  # type: ignore[arg-type]

    start = time.time()
    monkeypatch.setattr(jwt, "decode", counting)
    await v.decode(token)
    await v.decode(token)
    assert calls == 1
    monkeypatch.setattr(time, "time", lambda: start + v.leeway + 5)
    with pytest.raises(Unauthorized):
        await v.decode(token)
    assert calls == 2


async def test_a_bad_token_is_never_cached() -> None:
    v = verifier()
    bad = issue_token("another-secret-0123456789abcdef-0123", uuid.uuid4(), "manager")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await v.decode(bad)
