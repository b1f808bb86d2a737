"""Imports into another service: the rows of an import the clients service runs
(``POST /api/v1/imports``) whose records another service keeps (billing: contracts and open
invoices).

The clients service reads and maps the file and resolves each row's client; the service
keeping the records validates and writes every row in ONE transaction (a dry run, or any bad
row, rolls it back) and answers every bad row. Both ends speak JSON:

- request ``{"caller": {"id", "role", "department"}, "dry_run": bool, "rows": [{"row": n,
  "client_id": id, "cells": {column: text}}]}`` (the import's author as the clients service
  knows them now; ``row`` the data row's number in the file);
- answer ``{"errors": [{"row", "column", "reason"}], "outcome": {"created", "updated",
  "unchanged"}}``.

The keeper is the service's runtime in this process (``orbit run``: ``ServiceSpec.imports``,
linked by ``shared.app``) or its internal endpoint ``POST /internal/v1/imports/{kind}``
(:data:`IMPORT_PATH`) at ``ORBIT_BILLING_URL`` (``orbit serve``: :func:`http_importer`, with a
``service`` token as for the read-through and :data:`IMPORT_TIMEOUT_SECONDS`). A keeper that
cannot be asked is :class:`ImportUnavailable`: the import fails, naming why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shared.readthrough import InternalClient
from shared.settings import OrbitSettings

# The kinds of import another service keeps, and which.
KEEPER: dict[str, str] = {"contracts": "billing", "invoices": "billing"}
IMPORT_PATH = "/internal/v1/imports/{kind}"
# A whole file runs in the call (its rows, one transaction): far longer than a lookup.
IMPORT_TIMEOUT_SECONDS = 600.0

# The keeper's run of one import: ``(kind, request) -> answer`` (the module docstring).
ImportRun = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class ImportUnavailable(Exception):
    """The service keeping the records did not answer (unreachable, timed out, failing)."""


def http_importer(
    settings: OrbitSettings, base_url: str
) -> tuple[ImportRun, Callable[[], Awaitable[None]]]:
    """The run at the service at ``base_url`` (its ``/internal/v1/imports``), and its closing."""
    client = InternalClient(settings, base_url, timeout=IMPORT_TIMEOUT_SECONDS)

    async def run(kind: str, request: dict[str, Any]) -> dict[str, Any]:
        path = IMPORT_PATH.format(kind=kind)
        response = await client.post(path, lambda why: ImportUnavailable(why), json=request)
        if response is None:
            raise ImportUnavailable(f"{path}: not found")
        answer: dict[str, Any] = response.json()
        return answer

    return run, client.aclose
