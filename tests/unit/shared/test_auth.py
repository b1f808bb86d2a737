import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import Caller, Role, StaffRecord, TokenVerifier, authenticate, issue_token
from shared.errors import Forbidden, Unauthorized
from shared.settings import OrbitSettings

SECRET = "unit-test-secret-0123456789abcdef-0123456789"
MANAGER = StaffRecord(uuid.uuid4(), "manager", "north", True)
GONE = StaffRecord(uuid.uuid4(), "manager", "north", False)
GONE_ADMIN = StaffRecord(uuid.uuid4(), "admin", None, False)
DEMOTED = StaffRecord(uuid.uuid4(), "manager", "south", True)  # was an admin
BRIDGE = StaffRecord(uuid.uuid4(), "integration", None, True)  # a telephony bridge
STAFF = {s.id: s for s in (MANAGER, GONE, GONE_ADMIN, DEMOTED, BRIDGE)}


async def lookup(staff_id: uuid.UUID) -> StaffRecord | None:
    return STAFF.get(staff_id)


def verifier(**overrides: object) -> TokenVerifier:
    return TokenVerifier(OrbitSettings(env="test", jwt_secret=SECRET, **overrides))  # type: ignore[arg-type]


async def call(token: str, v: TokenVerifier | None = None) -> Caller:
    return await authenticate(f"Bearer {token}", v or verifier(), lookup)


async def test_manager_token_of_active_staff_gives_its_scope() -> None:
    caller = await call(issue_token(SECRET, MANAGER.id, "manager"))
    assert caller == Caller(MANAGER.id, Role.MANAGER, "north")


async def test_admin_token_needs_no_staff_record() -> None:
    admin_id = uuid.uuid4()
    caller = await call(issue_token(SECRET, admin_id, "admin"))
    assert caller.role == Role.ADMIN and caller.id == admin_id


async def test_an_admin_staff_record_wins_over_the_admin_token() -> None:
    with pytest.raises(Unauthorized):  # a deactivated admin is locked out at once
        await call(issue_token(SECRET, GONE_ADMIN.id, "admin"))
    demoted = await call(issue_token(SECRET, DEMOTED.id, "admin"))
    assert demoted == Caller(DEMOTED.id, Role.MANAGER, "south")


@pytest.mark.parametrize(
    "token",
    [
        issue_token(SECRET, GONE.id, "manager"),  # deactivated
        issue_token(SECRET, uuid.uuid4(), "manager"),  # unknown staff
        issue_token(SECRET, uuid.uuid4(), "head"),
        issue_token(SECRET, MANAGER.id, "manager", ttl_seconds=-120),  # expired
        issue_token("another-secret-0123456789abcdef-0123", MANAGER.id, "manager"),
        issue_token(SECRET, MANAGER.id, "superuser"),  # unknown role
        issue_token(SECRET, "not-a-uuid", "admin"),
        jwt.encode({"sub": str(MANAGER.id), "role": "manager"}, SECRET),  # no exp
        "garbage",
    ],
)
async def test_refused_tokens_are_401(token: str) -> None:
    with pytest.raises(Unauthorized):
        await call(token)


async def test_missing_or_malformed_header_is_401() -> None:
    for header in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(Unauthorized):
            await authenticate(header, verifier(), lookup)


async def test_algorithm_none_is_refused() -> None:
    unsigned = jwt.encode(
        {"sub": str(uuid.uuid4()), "role": "admin", "exp": int(time.time()) + 60},
        None,
        algorithm="none",
    )
    with pytest.raises(Unauthorized):
        await call(unsigned)


async def test_an_integration_carries_its_scopes_and_sees_the_company() -> None:
    caller = await call(issue_token(SECRET, BRIDGE.id, "integration", scopes=["clients:read"]))
    assert caller == Caller(BRIDGE.id, Role.INTEGRATION, None, frozenset({"clients:read"}))
    assert caller.company_wide and Caller(uuid.uuid4(), Role.ADMIN).company_wide
    assert not Caller(uuid.uuid4(), Role.HEAD, "north").company_wide
    caller.require_scopes(["clients:read"])
    with pytest.raises(Forbidden, match="needs the scope billing:read; the token has clients:read"):
        caller.require_scopes(["clients:read", "billing:read"])


async def test_scopes_bind_an_integration_only() -> None:
    # a manager's token with scopes is a manager's (not narrowed, not widened)
    manager = await call(issue_token(SECRET, MANAGER.id, "manager", scopes=["clients:read"]))
    assert manager == Caller(MANAGER.id, Role.MANAGER, "north")
    manager.require_scopes(["billing:write"])
    # an integration's record wins over a token claiming another role: no scopes, no route
    bridge = await call(issue_token(SECRET, BRIDGE.id, "admin"))
    assert bridge.role == Role.INTEGRATION and bridge.scopes == frozenset()
    with pytest.raises(Forbidden, match="the token has none"):
        bridge.require_scopes(["clients:read"])


@pytest.mark.parametrize("scopes", [["clients:read", "files:read"], "clients:admin", 7, {"a": 1}])
async def test_a_token_with_unknown_scopes_is_401(scopes: object) -> None:
    token = jwt.encode(
        {
            "sub": str(BRIDGE.id),
            "role": "integration",
            "exp": int(time.time()) + 60,
            "scopes": scopes,
        },
        SECRET,
    )
    with pytest.raises(Unauthorized, match="invalid token"):
        await call(token)


def test_require_role() -> None:
    caller = Caller(uuid.uuid4(), Role.MANAGER)
    caller.require(Role.MANAGER, Role.ADMIN)
    with pytest.raises(Forbidden):
        caller.require(Role.ADMIN)


# ------------------------------------------------------------------ RS256 via a real JWKS URL

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [public | {"kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def rs256(sub: uuid.UUID, role: str, kid: str = "k1") -> str:
    claims = {"sub": str(sub), "role": role, "exp": int(time.time()) + 300}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": kid})


async def test_rs256_token_verified_against_jwks(jwks_url: str) -> None:
    v = verifier(jwks_url=jwks_url)
    caller = await call(rs256(MANAGER.id, "manager"), v)
    assert caller.id == MANAGER.id and caller.role == Role.MANAGER


async def test_rs256_rejects_hs256_and_foreign_keys(jwks_url: str) -> None:
    v = verifier(jwks_url=jwks_url)
    with pytest.raises(Unauthorized):
        await call(issue_token(SECRET, MANAGER.id, "manager"), v)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"sub": str(MANAGER.id), "role": "manager", "exp": int(time.time()) + 300},
        other,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(Unauthorized):
        await call(forged, v)
