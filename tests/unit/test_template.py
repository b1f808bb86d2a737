"""Every service is built from one template (docs/architecture.md, "Adding a service"):

- the same files in the same roles: ``__init__.py`` naming the service (``SERVICE``),
  ``app.py`` (its ``SPEC``), ``settings.py``, ``commands.py``, ``events.py``,
  ``snapshots.py`` (the state its events carry), ``subscribers.py`` (the events it consumes),
  ``workers.py`` (``scheduled_jobs``), ``api/deps.py`` (``shared.deps.service_deps``),
  ``api/schemas.py``, ``api/presenters.py``, ``domain/``, ``store/models.py``, ``handlers/``,
  ``migrations/``; a service lacking one says why in :data:`EXCEPTIONS`;
- the routers (the ``api/`` modules defining an ``APIRouter``) do no SQL: they import neither
  ``sqlalchemy`` nor their service's ``store.models``; they call the use cases and the store's
  reads, and the presenters turn rows into schemas.

The import edges between layers are checked in test_layers.py.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from shared.settings import SERVICES
from tests.unit.test_layers import ROOT, SERVICES_DIR, imports, within

TEMPLATE = (
    "__init__.py",
    "app.py",
    "settings.py",
    "commands.py",
    "events.py",
    "snapshots.py",
    "subscribers.py",
    "workers.py",
    "api/__init__.py",
    "api/deps.py",
    "api/schemas.py",
    "api/presenters.py",
    "domain/__init__.py",
    "store/__init__.py",
    "store/models.py",
    "handlers/__init__.py",
    "migrations/env.py",
    "migrations/versions",
)

# (service, file) -> why the service has no such file. Each stays true (checked below).
EXCEPTIONS = {
    ("clients", "subscribers.py"): (
        "clients owns the staff and client state the others replicate: it consumes no events"
    ),
    ("notifications", "snapshots.py"): (
        "notifications publishes notices (alert.escalated), no entity state to carry"
    ),
}

ROUTER_MAY_NOT_IMPORT = ("sqlalchemy",)


def defines_a_router(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "APIRouter")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "APIRouter")
        )
        for node in ast.walk(tree)
    )


def router_modules() -> list[Path]:
    return [
        p
        for p in sorted(SERVICES_DIR.glob("*/api/*.py"))
        if defines_a_router(ast.parse(p.read_text(encoding="utf-8")))
    ]


def router_violations(path: Path, source: str | None = None) -> list[str]:
    service = path.relative_to(SERVICES_DIR).parts[0]
    return [
        f"line {line}: {module}"
        for line, module in imports(path, source)
        if within(module, *ROUTER_MAY_NOT_IMPORT, f"services.{service}.store.models")
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_template_files(service: str) -> None:
    root = SERVICES_DIR / service
    missing = [f for f in TEMPLATE if not (root / f).exists() and (service, f) not in EXCEPTIONS]
    assert not missing, f"services/{service} lacks {missing} (or add the reason to EXCEPTIONS)"
    stale = [f for (s, f) in EXCEPTIONS if s == service and (root / f).exists()]
    assert not stale, f"services/{service} has {stale} now: drop it from EXCEPTIONS"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_wires_the_template_roles(service: str) -> None:
    """The package names the service, app.py's SPEC is built from the template's modules."""
    package = importlib.import_module(f"services.{service}")
    assert service == package.SERVICE
    spec = importlib.import_module(f"services.{service}.app").SPEC
    assert spec.name == service
    assert spec.settings_cls.__module__ == f"services.{service}.settings"
    assert spec.jobs is importlib.import_module(f"services.{service}.workers").scheduled_jobs
    if (service, "subscribers.py") in EXCEPTIONS:
        assert not spec.handlers, f"{service} consumes events: give it subscribers.py"
    else:
        subscribers = importlib.import_module(f"services.{service}.subscribers")
        assert spec.handlers is subscribers.SUBSCRIBERS
    routers = {id(r) for r in spec.routers}
    for path in router_modules():
        if path.relative_to(SERVICES_DIR).parts[0] == service:
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            assert id(module.router) in routers, f"{path.relative_to(ROOT)} is not served"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_takes_its_dependencies_from_service_deps(service: str) -> None:
    deps = SERVICES_DIR / service / "api" / "deps.py"
    tree = ast.parse(deps.read_text(encoding="utf-8"))
    assert "shared.deps.service_deps" in {m for _, m in imports(deps)}
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "service_deps"
    ]
    assert calls, f"{deps.relative_to(ROOT)} never calls service_deps"


@pytest.mark.parametrize("path", router_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_routers_do_no_sql(path: Path) -> None:
    bad = router_violations(path)
    assert not bad, f"{path.relative_to(ROOT)} (a router) imports SQL or the tables: {bad}"


def test_the_router_check_sees_routers_and_catches_sql() -> None:
    """It looks at the real routers (not the presenters), and a router's SQL, even in a
    function, fails it."""
    names = {p.relative_to(SERVICES_DIR).as_posix() for p in router_modules()}
    assert {"clients/api/clients.py", "billing/api/invoices.py"} <= names
    assert not {"clients/api/presenters.py", "clients/api/deps.py"} & names
    assert len({n.split("/")[0] for n in names}) == len(SERVICES)
    probe = SERVICES_DIR / "billing" / "api" / "invoices.py"
    source = (
        "from fastapi import APIRouter\nrouter = APIRouter()\n"
        "def f():\n    from sqlalchemy import select\n"
        "    from services.billing.store.models import Invoice\n"
    )
    assert defines_a_router(ast.parse(source))
    assert len(router_violations(probe, source)) >= 2
