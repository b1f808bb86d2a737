"""``GET /api/v1/search``: clients, contacts, invoices, interactions and meeting reports of the
caller's clients matching a query, best first (``handlers.search``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.notifications.api.deps import OTHERS_READS, CallerDep, RuntimeDep
from services.notifications.domain import search as rules
from services.notifications.domain.search import SearchType
from services.notifications.handlers import search as handlers
from shared.errors import Invalid

router = APIRouter(prefix="/api/v1/search", tags=["search"], dependencies=[OTHERS_READS])


class SearchHitOut(BaseModel):
    """One match: what it is (``type``, ``id``), its client, its title, a window of its
    text around the first matching word (``snippet``, plain text) and its ``score`` (higher
    is better; comparable within one answer only)."""

    type: SearchType
    id: uuid.UUID
    client_id: uuid.UUID
    title: str
    snippet: str
    score: float


class SearchOut(BaseModel):
    items: list[SearchHitOut]


@router.get("", response_model=SearchOut, operation_id="search")
async def search(
    caller: CallerDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=1000, description="words, a name, a phone, a number")],
    types: Annotated[
        str | None,
        Query(
            description="comma-separated: client, contact, invoice, interaction, "
            "meeting_report (default all)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=rules.MAX_LIMIT)] = rules.DEFAULT_LIMIT,
) -> SearchOut:
    """Full text in Russian and English (word forms: "договоры" finds "договор"), names with
    a typo, a contact's phone in any common format or email, an invoice by its number or
    its start; only the caller's clients (manager: their own; head: their team's; admin:
    all)."""
    query = rules.normalize_query(q)
    if not query:
        raise Invalid("q is empty", [{"loc": ["query", "q"], "msg": "must not be blank"}])
    try:
        wanted = rules.parse_types(types)
    except rules.UnknownTypes as exc:
        raise Invalid(
            "types names an unknown type",
            [{"loc": ["query", "types"], "msg": f"unknown: {', '.join(exc.args[0])}"}],
        ) from exc
    async with runtime.reads() as session:
        hits = await handlers.search(session, caller, query, wanted, limit)
    return SearchOut(
        items=[
            SearchHitOut(
                type=h.type,
                id=h.entity_id,
                client_id=h.client_id,
                title=h.title,
                snippet=rules.snippet(h.body, query),
                score=round(h.score, 4),
            )
            for h in hits
        ]
    )
