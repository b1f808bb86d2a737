"""Bearer-token authentication: JWT HS256 (shared secret) or RS256 via a JWKS URL.

Claims: ``sub`` (staff id), ``role`` (manager|head|admin|service|integration), ``exp`` and,
for an integration, ``scopes`` (``shared/scopes.py``). An admin token needs no staff record;
any other token's ``sub`` must be an active staff member of the service's own staff table
(clients) or replica (the others, fed by the clients' events).

An integration (an outside system: telephony, a mailbox, an ERP) reaches a route only with
the route's scope (:meth:`Caller.require_scopes`, called for every route by
``shared.app.caller_dependency``) and, within it, acts for the whole company: it sees every
client, as an admin does, but takes none of the administrative actions (staff, settings,
rules, webhooks, assignments), which name their roles and leave it out.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

from shared.errors import Forbidden, Unauthorized, Unavailable
from shared.scopes import ScopeError, missing_scopes, parse_scopes
from shared.settings import OrbitSettings
from shared.values import STAFF_ROLES


class Role(StrEnum):
    """The roles of ``shared.values.StaffRole`` (the one vocabulary: schemas, events and
    tokens spell these values), as names for code."""

    MANAGER = "manager"
    HEAD = "head"
    ADMIN = "admin"
    SERVICE = "service"
    INTEGRATION = "integration"


# The roles that see every client (an integration within its scopes).
COMPANY_WIDE = frozenset({Role.ADMIN, Role.INTEGRATION})

if tuple(Role) != STAFF_ROLES:  # one vocabulary: the enum names exactly the values
    raise ImportError(f"shared.auth.Role {tuple(Role)} differs from StaffRole {STAFF_ROLES}")


@dataclass(frozen=True)
class StaffRecord:
    id: uuid.UUID
    role: str
    department: str | None
    active: bool


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as access scope is concerned."""

    id: uuid.UUID
    role: Role
    department: str | None = None
    scopes: frozenset[str] = frozenset()  # an integration's; the others' are not checked

    @property
    def company_wide(self) -> bool:
        """Sees every client: an admin, or an integration (within its scopes)."""
        return self.role in COMPANY_WIDE

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"this action needs the role {' or '.join(r.value for r in roles)}")

    def require_scopes(self, needed: Collection[str]) -> None:
        """An integration without all of ``needed``: 403 naming what it lacks. People and
        services are not scoped (their role and the data's scope decide)."""
        if self.role != Role.INTEGRATION:
            return
        missing = missing_scopes(self.scopes, needed)
        if missing:
            held = ", ".join(sorted(self.scopes)) or "none"
            raise Forbidden(f"this needs the scope {' and '.join(missing)}; the token has {held}")


@dataclass(frozen=True)
class Claims:
    sub: uuid.UUID
    role: Role
    scopes: frozenset[str] = frozenset()


StaffLookup = Callable[[uuid.UUID], Awaitable[StaffRecord | None]]

# The clients service's staff events (``data.staff_id`` names the member of staff).
STAFF_EVENT_PREFIX = "orbit.clients.staff."


class StaffCache:
    """A short-lived cache of staff records in front of a :data:`StaffLookup`, so a request
    does not read its caller's record every time.

    An entry lives ``ttl`` seconds at most (0: no cache). It is dropped at once when this
    process commits or applies a staff event about that member of staff
    (:meth:`forget_events`), so a deactivation or a role change made through this process —
    or, in the other services, received from the clients service — applies to the next
    request; another process of the same service sees it within ``ttl``. A lookup that
    started before an invalidation never stores what it read (the generation check), so a
    stale record cannot outlive the change that made it stale.
    """

    MAX_ENTRIES = 10_000

    def __init__(
        self, lookup: StaffLookup, ttl: float, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._lookup = lookup
        self.ttl = ttl
        self._now = now
        self._entries: dict[uuid.UUID, tuple[float, StaffRecord | None]] = {}
        self._generation = 0

    async def get(self, staff_id: uuid.UUID) -> StaffRecord | None:
        if self.ttl <= 0:
            return await self._lookup(staff_id)
        entry = self._entries.get(staff_id)
        now = self._now()
        if entry is not None and entry[0] > now:
            return entry[1]
        generation = self._generation
        record = await self._lookup(staff_id)
        if generation == self._generation:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[staff_id] = (now + self.ttl, record)
        return record

    def invalidate(self, staff_id: uuid.UUID | None = None) -> None:
        """Forget one member of staff (all when None)."""
        self._generation += 1
        if staff_id is None:
            self._entries.clear()
        else:
            self._entries.pop(staff_id, None)

    def forget_events(self, events: Iterable[Any]) -> None:
        """Forget the staff named by the staff events among ``events`` (CloudEvents)."""
        for event in events:
            if not str(getattr(event, "type", "")).startswith(STAFF_EVENT_PREFIX):
                continue
            data = getattr(event, "data", None)
            raw = data.get("staff_id") if isinstance(data, dict) else None
            try:
                self.invalidate(uuid.UUID(str(raw)) if raw is not None else None)
            except ValueError:
                self.invalidate()


class TokenVerifier:
    def __init__(self, settings: OrbitSettings) -> None:
        self.secret = settings.jwt_secret
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        # Tokens verified lately: token -> (claims, valid until, monotonic); see decode().
        self._verified: dict[str, tuple[Claims, float]] = {}

    # A verified token is trusted again without checking its signature for this long at most
    # (and never past its exp + leeway), so a key removed from the JWKS stops working soon.
    VERIFIED_SECONDS = 60.0
    MAX_VERIFIED = 10_000

    async def decode(self, token: str) -> Claims:
        """The token's claims, or :class:`Unauthorized`. A token seen valid in the last
        ``VERIFIED_SECONDS`` is not verified again (until it expires)."""
        seen = self._verified.get(token)
        if seen is not None:
            if seen[1] > time.time():
                return seen[0]
            del self._verified[token]
        claims, exp = await self._verify(token)
        if len(self._verified) >= self.MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = (
            claims,
            min(exp + self.leeway, time.time() + self.VERIFIED_SECONDS),
        )
        return claims

    async def _verify(self, token: str) -> tuple[Claims, float]:
        try:
            if self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                payload = jwt.decode(
                    token,
                    signing_key.key,
                    algorithms=["RS256"],
                    audience=self.audience,
                    leeway=self.leeway,
                    options={"require": ["sub", "exp"]},
                )
            else:
                payload = jwt.decode(
                    token,
                    self.secret,
                    algorithms=["HS256"],
                    audience=self.audience,
                    leeway=self.leeway,
                    options={"require": ["sub", "exp"]},
                )
        except jwt.PyJWKClientError as exc:
            raise Unauthorized(f"cannot verify token: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        try:
            exp = float(payload["exp"])
        except (TypeError, ValueError) as exc:  # PyJWT has checked it is a number already
            raise Unauthorized("invalid token: exp is not a number") from exc
        return _claims(payload), exp


def _claims(payload: dict[str, Any]) -> Claims:
    try:
        sub = uuid.UUID(str(payload["sub"]))
    except ValueError as exc:
        raise Unauthorized("invalid token: sub is not a UUID") from exc
    try:
        role = Role(payload.get("role", ""))
    except ValueError as exc:
        raise Unauthorized("invalid token: unknown role") from exc
    raw_scopes = payload.get("scopes")
    if raw_scopes is not None and not isinstance(raw_scopes, (str, list)):
        raise Unauthorized("invalid token: scopes is neither a list nor a string")
    try:
        scopes = parse_scopes(raw_scopes)
    except ScopeError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    return Claims(sub=sub, role=role, scopes=scopes)


async def authenticate(
    authorization: str | None, verifier: TokenVerifier, lookup: StaffLookup
) -> Caller:
    if not authorization:
        raise Unauthorized("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    claims = await verifier.decode(token.strip())
    try:
        staff = await lookup(claims.sub)
    except Unavailable:
        # Not in the replica, and its owner cannot say: an admin token needs no record.
        if claims.role != Role.ADMIN:
            raise
        staff = None
    if staff is None and claims.role == Role.ADMIN:
        # An admin token needs no staff record (the bootstrap admin, operators' tools).
        return Caller(claims.sub, Role.ADMIN, None)
    if staff is None or not staff.active:
        raise Unauthorized("token subject is not an active staff member")
    # The staff record is authoritative for the role (a role change or a deactivation
    # applies at once, to admins too).
    try:
        role = Role(staff.role)
    except ValueError:
        role = claims.role
    # Scopes bind an integration only (a person's token carrying some gains nothing by them).
    scopes = claims.scopes if role == Role.INTEGRATION else frozenset()
    return Caller(staff.id, role, staff.department, scopes)


def issue_token(
    secret: str,
    sub: uuid.UUID | str,
    role: str,
    ttl_seconds: int = 3600,
    *,
    scopes: Iterable[str] | None = None,
    **claims: Any,
) -> str:
    """A token signed with ``secret``; ``scopes`` (an integration's) are checked against the
    vocabulary (:class:`shared.scopes.ScopeError` for an unknown one)."""
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": str(sub),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        **claims,
    }
    if scopes is not None:
        payload["scopes"] = sorted(parse_scopes(list(scopes)))
    return jwt.encode(payload, secret, algorithm="HS256")
