"""The integration scopes' vocabulary and the rule naming a route's scope (shared/scopes.py),
the OpenAPI naming each route's, and the ``orbit token --scopes`` that issues them."""

from __future__ import annotations

import uuid

import jwt
import pytest
from fastapi import APIRouter, FastAPI

from services import cli
from shared.app import document_scopes
from shared.deps import service_deps
from shared.scopes import SCOPES, ScopeError, missing_scopes, parse_scopes, route_scope
from shared.settings import DEV_JWT_SECRET


def test_the_vocabulary_is_read_and_write_of_each_service() -> None:
    assert SCOPES == (
        "clients:read",
        "clients:write",
        "interactions:read",
        "interactions:write",
        "billing:read",
        "billing:write",
        "notifications:read",
        "notifications:write",
    )


@pytest.mark.parametrize(
    ("raw", "scopes"),
    [
        (None, set()),
        ("", set()),
        ([], set()),
        ("clients:read", {"clients:read"}),
        ("clients:read interactions:write", {"clients:read", "interactions:write"}),
        ("clients:read, billing:write,", {"clients:read", "billing:write"}),
        (["billing:read", "billing:read"], {"billing:read"}),
    ],
)
def test_scopes_parse_from_a_list_or_a_string(raw: object, scopes: set[str]) -> None:
    assert parse_scopes(raw) == scopes  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw", ["clients", "clients:admin", "CLIENTS:READ", "files:read", ["clients:read", 7]]
)
def test_an_unknown_scope_is_refused_by_name(raw: object) -> None:
    with pytest.raises(ScopeError, match="unknown scope"):
        parse_scopes(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["GET", "head", "OPTIONS"])
def test_a_route_needs_read_for_a_get(method: str) -> None:
    assert route_scope("billing", method) == "billing:read"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_route_needs_write_otherwise(method: str) -> None:
    assert route_scope("billing", method) == "billing:write"


def test_missing_scopes_in_order_once_each() -> None:
    held = frozenset({"clients:read"})
    assert missing_scopes(held, ["clients:read"]) == []
    assert missing_scopes(held, ["billing:read", "clients:read", "billing:read", "a:b"]) == [
        "billing:read",
        "a:b",
    ]


def token_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["token", "--sub", str(uuid.uuid4()), *args])
    out, err = capsys.readouterr()
    return code, out.strip(), err


def test_orbit_token_issues_an_integration_its_scopes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORBIT_JWT_SECRET", DEV_JWT_SECRET)
    code, token, _ = token_of(
        capsys, "--role", "integration", "--scopes", "interactions:write,clients:read"
    )
    claims = jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"])
    assert code == 0 and claims["role"] == "integration"
    assert claims["scopes"] == ["clients:read", "interactions:write"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--role", "integration"], "needs --scopes"),
        (["--role", "manager", "--scopes", "clients:read"], "takes no --scopes"),
    ],
)
def test_orbit_token_scopes_go_with_the_integration_role(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, token, err = token_of(capsys, *args)
    assert (code, token) == (2, "") and says in err


def test_orbit_token_refuses_an_unknown_scope(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        token_of(capsys, "--role", "integration", "--scopes", "clients:read,files:read")
    assert exit_.value.code == 2
    assert "unknown scope files:read" in capsys.readouterr().err


def test_the_openapi_names_the_scopes_of_each_route() -> None:
    deps = service_deps("billing")
    router = APIRouter(dependencies=[deps.reads("interactions", "clients")])

    @router.get("/things", dependencies=[deps.caller])
    async def things() -> None: ...

    @router.post("/things", dependencies=[deps.caller, deps.needs("clients:write")])
    async def make() -> None: ...

    app = FastAPI()
    app.include_router(router)
    paths = document_scopes(app, app.openapi())["paths"]["/things"]
    assert paths["get"]["security"] == [
        {"HTTPBearer": ["billing:read", "clients:read", "interactions:read"]}
    ]
    assert paths["post"]["security"] == [
        {"HTTPBearer": ["billing:write", "clients:read", "interactions:read", "clients:write"]}
    ]


def test_a_route_naming_an_unknown_scope_fails_at_once() -> None:
    with pytest.raises(ScopeError, match="billing:admin"):
        service_deps("billing").needs("billing:admin")
