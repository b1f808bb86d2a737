"""The import edges between layers, read from the source with ``ast`` (imports inside
functions count too):

- a domain module (``services/<svc>/domain/``) does no I/O: it imports no database, web,
  messaging or HTTP library, nothing of its service's api/ or store/, and of shared/ only
  the pure modules;
- use cases (``handlers``, ``subscribers``, ``commands``, ``snapshots``, ``workers``) never
  import the API: the router presents what they return;
- shared/ never imports a service;
- a service never imports another service; only the composition roots (``services/cli.py``,
  ``services/embedded.py``) and the event catalogue (``services/schemas.py``) see them all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = ROOT / "services"
SHARED_DIR = ROOT / "shared"

IO_LIBRARIES = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "httpx",
    "aiokafka",
    "asyncpg",
    "aiosqlite",
    "uvicorn",
    "socket",
    "urllib.request",
    "smtplib",
)
PURE_SHARED = (
    "shared.calendar",
    "shared.clock",
    "shared.event_views",
    "shared.money",
    "shared.phones",
    "shared.policies",
    "shared.scores",
    "shared.values",
)
COMPOSITION_ROOTS = ("services.cli", "services.embedded", "services.schemas")
USE_CASE_MODULES = ("handlers", "subscribers", "commands", "snapshots", "workers")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, source: str | None = None) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every import in the file (or in ``source``, read as that file),
    relative ones resolved."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # ``from services.clients import handlers``
                yield node.lineno, f"{module}.{alias.name}"


def within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def python_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.py") if "migrations" not in p.parts)


def service_of(path: Path) -> str | None:
    """The service a file belongs to (``services/<svc>/...``), or None (a root module)."""
    parts = path.relative_to(SERVICES_DIR).parts
    return parts[0] if len(parts) > 1 else None


def service_files() -> list[Path]:
    return [p for p in python_files(SERVICES_DIR) if service_of(p) is not None]


def is_use_case(path: Path) -> bool:
    parts = path.relative_to(SERVICES_DIR).parts
    return len(parts) > 1 and parts[1].removesuffix(".py") in USE_CASE_MODULES


def test_the_checks_see_the_layers() -> None:
    """The rules below look at real files (a renamed folder would make them pass vacuously)."""
    assert any("domain" in p.parts for p in service_files())
    assert any(is_use_case(p) for p in service_files())
    assert python_files(SHARED_DIR)
    assert "services.clients.api.presenters" in {
        m for _, m in imports(SERVICES_DIR / "clients/api/clients.py")
    }


@pytest.mark.parametrize(
    "path",
    [p for p in service_files() if "domain" in p.parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_domain_does_no_io(path: Path) -> None:
    service = service_of(path)
    bad = [
        f"line {line}: {module}"
        for line, module in imports(path)
        if within(module, *IO_LIBRARIES)
        or (within(module, "services") and not within(module, f"services.{service}.domain"))
        or (within(module, "shared") and not within(module, *PURE_SHARED))
    ]
    assert not bad, f"{path.relative_to(ROOT)} (domain) imports I/O or outer layers: {bad}"


@pytest.mark.parametrize(
    "path", [p for p in service_files() if is_use_case(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_use_cases_never_import_the_api(path: Path) -> None:
    service = service_of(path)
    bad = [
        f"line {line}: {module}"
        for line, module in imports(path)
        if within(module, f"services.{service}.api", "fastapi", "starlette")
    ]
    assert not bad, f"{path.relative_to(ROOT)} (use cases) imports the API: {bad}"


@pytest.mark.parametrize("path", python_files(SHARED_DIR), ids=lambda p: str(p.relative_to(ROOT)))
def test_shared_never_imports_a_service(path: Path) -> None:
    bad = [f"line {line}: {module}" for line, module in imports(path) if within(module, "services")]
    assert not bad, f"{path.relative_to(ROOT)} imports a service: {bad}"


@pytest.mark.parametrize("path", service_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_service_never_imports_another(path: Path) -> None:
    service = service_of(path)
    bad = [
        f"line {line}: {module}"
        for line, module in imports(path)
        if within(module, "services")
        and module != "services"
        and not within(module, f"services.{service}")
    ]
    assert not bad, (
        f"{path.relative_to(ROOT)} imports another service (only {COMPOSITION_ROOTS} may): {bad}"
    )


def test_the_checks_catch_a_bad_edge() -> None:
    """The import reader sees plain, from-, relative and function-local imports."""
    source = (
        "import sqlalchemy.orm\nfrom . import api\n"
        "def f():\n    from services.billing.store import models\n"
    )
    as_path = SERVICES_DIR / "clients" / "domain" / "probe.py"
    found = {module for _, module in imports(as_path, source)}
    assert {
        "sqlalchemy.orm",
        "services.clients.domain.api",
        "services.billing.store.models",
    } <= found


SCORECARD = SERVICES_DIR / "notifications"


def scorecard_files() -> list[Path]:
    return [
        p
        for p in service_files()
        if p.is_relative_to(SCORECARD)
        and "scorecard" in [Path(part).stem for part in p.relative_to(SCORECARD).parts[:2]]
    ]


def test_the_scorecard_is_a_feature_of_notifications_under_the_layer_rules() -> None:
    """No service inside the service: the scorecard's files are in the notifications roles
    (its rules in ``domain/``, its use cases in ``handlers/``, its tables and reads in
    ``store/``, its router in ``api/``), so the rules above cover them like the rest."""
    assert not (SCORECARD / "scorecard").exists()
    files = scorecard_files()
    roles = {p.relative_to(SCORECARD).parts[0] for p in files}
    assert roles == {"api", "domain", "store", "handlers"}
    assert any("domain" in p.parts for p in files)  # under test_domain_does_no_io
    assert any(is_use_case(p) for p in files)  # under test_use_cases_never_import_the_api
    store = [p for p in files if p.relative_to(SCORECARD).parts[0] == "store"]
    bad = [
        f"{p.relative_to(ROOT)} line {line}: {module}"
        for p in store
        for line, module in imports(p)
        if within(module, "services.notifications.handlers", "services.notifications.api")
    ]
    assert not bad, f"the scorecard's store imports its use cases or the API: {bad}"
