"""The scopes of an integration's token: what an outside system may reach. Pure.

The vocabulary is ``<service>:<read|write>`` for each of the four services
(``clients:read``, ``interactions:write``, ``billing:read``, ``notifications:write``…). A
route needs the scope of the service that serves it: ``read`` for ``GET`` (and ``HEAD``,
``OPTIONS``), ``write`` for anything else. ``write`` does not include ``read``: an
integration that logs calls and reads nothing gets ``interactions:write`` alone. A route
that shows other services' data (a client's timeline served by notifications) may need
their ``read`` scopes as well (``shared.deps.ServiceDeps.reads``).
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.settings import SERVICES

ACTIONS = ("read", "write")
SCOPES: tuple[str, ...] = tuple(f"{service}:{action}" for service in SERVICES for action in ACTIONS)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ScopeError(ValueError):
    """A scope outside the vocabulary."""


def parse_scopes(raw: str | Iterable[str] | None) -> frozenset[str]:
    """The scopes of a token's ``scopes`` claim or of the command line: a list, or one string
    separated by spaces or commas (OAuth's ``scope`` style). Unknown ones: :class:`ScopeError`
    naming them."""
    if raw is None:
        return frozenset()
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    unknown = sorted({str(s) for s in items if s not in SCOPES})
    if unknown:
        raise ScopeError(f"unknown scope {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    return frozenset(items)


def route_scope(service: str, method: str) -> str:
    """The scope a route of ``service`` answering ``method`` needs."""
    action = "read" if method.upper() in READ_METHODS else "write"
    return f"{service}:{action}"


def missing_scopes(held: frozenset[str], needed: Iterable[str]) -> list[str]:
    """The scopes of ``needed`` that ``held`` lacks, in order, once each."""
    return [s for s in dict.fromkeys(needed) if s not in held]
