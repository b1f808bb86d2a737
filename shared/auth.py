"""Bearer-token authentication: JWT HS256 (shared secret) or RS256 via a JWKS URL.

Claims: ``sub`` (staff id), ``role`` (manager|head|admin|service), ``exp``. An admin token
needs no staff record; any other token's ``sub`` must be an active staff member of the
service's own staff table (clients) or replica (the others, fed by the clients' events).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

from shared.errors import Forbidden, Unauthorized
from shared.settings import OrbitSettings


class Role(StrEnum):
    MANAGER = "manager"
    HEAD = "head"
    ADMIN = "admin"
    SERVICE = "service"


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

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"this action needs the role {' or '.join(r.value for r in roles)}")


@dataclass(frozen=True)
class Claims:
    sub: uuid.UUID
    role: Role


StaffLookup = Callable[[uuid.UUID], Awaitable[StaffRecord | None]]


class TokenVerifier:
    def __init__(self, settings: OrbitSettings) -> None:
        self.secret = settings.jwt_secret
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    async def decode(self, token: str) -> Claims:
        try:
            if self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                payload = jwt.decode(
                    token, signing_key.key, algorithms=["RS256"], audience=self.audience,
                    leeway=self.leeway, options={"require": ["sub", "exp"]},
                )
            else:
                payload = jwt.decode(
                    token, self.secret, algorithms=["HS256"], audience=self.audience,
                    leeway=self.leeway, options={"require": ["sub", "exp"]},
                )
        except jwt.PyJWKClientError as exc:
            raise Unauthorized(f"cannot verify token: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        return _claims(payload)


def _claims(payload: dict[str, Any]) -> Claims:
    try:
        sub = uuid.UUID(str(payload["sub"]))
    except ValueError as exc:
        raise Unauthorized("invalid token: sub is not a UUID") from exc
    try:
        role = Role(payload.get("role", ""))
    except ValueError as exc:
        raise Unauthorized("invalid token: unknown role") from exc
    return Claims(sub=sub, role=role)


async def authenticate(
    authorization: str | None, verifier: TokenVerifier, lookup: StaffLookup
) -> Caller:
    if not authorization:
        raise Unauthorized("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    claims = await verifier.decode(token.strip())
    staff = await lookup(claims.sub)
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
    return Caller(staff.id, role, staff.department)


def issue_token(
    secret: str, sub: uuid.UUID | str, role: str, ttl_seconds: int = 3600, **claims: Any
) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(sub),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        **claims,
    }
    return jwt.encode(payload, secret, algorithm="HS256")
