"""The search read model: one ``search_documents`` row per client, contact, invoice,
interaction and meeting report (``domain.search.Document``), kept from the events, and its
matchers, each scoped to the caller's clients (:func:`_scope`).

The full-text parts are the database's own (migration ``search_documents``), named ``fts_``:

- PostgreSQL: ``fts_doc``, a stored generated ``tsvector`` of the title (weight A) and the
  body (B) in both the ``russian`` and ``english`` configurations, in a GIN index after the
  document's account manager (``btree_gin``), queried with ``websearch_to_tsquery`` in both
  and ranked by ``ts_rank``; a ``pg_trgm`` GIN index of (manager, name) of the clients and
  contacts for ``similarity``; a ``varchar_pattern_ops`` index of invoice numbers for
  prefixes.
- SQLite: the FTS5 tables ``fts_search`` (``unicode61``, diacritics removed; word prefixes,
  ranked by ``bm25``) and ``fts_search_names`` (``trigram``: candidate names, ranked by
  ``domain.search.similarity``), kept by triggers on ``search_documents``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.search import (
    EXACT_SCORE,
    NAMED,
    PREFIX_SCORE,
    SIMILARITY_THRESHOLD,
    Document,
    Hit,
    fts5_query,
    fts5_trigram_query,
    similarity,
)
from shared.auth import Caller, Role
from shared.db import BigIntPK, UTCDateTime
from shared.replica_store import manager_of
from shared.replicas import SCOPE_CACHE_SIZE, client_scope, manager_scope

search_metadata = MetaData()

search_documents = Table(
    "search_documents",
    search_metadata,
    # SQLite: the rowid of the FTS5 tables (a stable integer key, kept through VACUUM)
    Column("seq", BigIntPK, primary_key=True, autoincrement=True),
    Column("type", String(20), nullable=False),
    Column("entity_id", Uuid, nullable=False),
    Column("client_id", Uuid, nullable=False),
    # The client's account manager, a copy of the replica's: written with the document and
    # kept current by every change of it (``shared.replica_store.keep_manager_copies``), so
    # the scope is a column of the document and its words' index (``fts_``) holds it too.
    Column("account_manager_id", Uuid, nullable=True),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("phone", String(32), nullable=True),  # E.164
    Column("email", String(320), nullable=True),  # lowercase
    Column("number", String(100), nullable=True),  # lowercase
    Column("at", UTCDateTime, nullable=False),
    Column("source_time", UTCDateTime, nullable=False),
    UniqueConstraint("type", "entity_id", name="uq_search_documents_entity"),
    Index("ix_search_documents_client", "client_id"),
    # the documents without a manager yet (``shared.replica_store.fill_manager_copies``
    # finds them without reading the table)
    Index(
        "ix_search_documents_unmanaged",
        "client_id",
        postgresql_where=text("account_manager_id IS NULL"),
        sqlite_where=text("account_manager_id IS NULL"),
    ),
    Index("ix_search_documents_phone", "phone"),
    Index("ix_search_documents_email", "email"),
)

_COLUMNS = (
    "client_id",
    "account_manager_id",
    "title",
    "body",
    "phone",
    "email",
    "number",
    "at",
    "source_time",
)
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0  # bm25 weights (SQLite) of the title and the body
CANDIDATES = 200  # names read from the trigram table before ranking them (SQLite)
TEXT_CANDIDATES = 1000  # full-text matches ranked at most (PostgreSQL)


async def put(session: AsyncSession, doc: Document, source_time: Any) -> None:
    """Insert or replace the document of one entity (an event older than the stored one
    changes nothing: events of one client are ordered, a replay is not), with its client's
    account manager as the replica names them now, its row held until the commit
    (``shared.replica_store.manager_of(..., hold=True)``)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(search_documents)
    stmt = stmt.on_conflict_do_update(
        index_elements=["type", "entity_id"],
        set_={c: stmt.excluded[c] for c in _COLUMNS},
        where=search_documents.c.source_time <= stmt.excluded.source_time,
    )
    values = {
        "type": doc.type,
        "entity_id": doc.entity_id,
        "client_id": doc.client_id,
        "account_manager_id": await manager_of(session, doc.client_id, hold=True),
        "title": doc.title[:500],
        "body": doc.body,
        "phone": doc.phone,
        "email": doc.email,
        "number": doc.number,
        "at": doc.at,
        "source_time": source_time,
    }
    await session.execute(stmt, values)


async def remove(session: AsyncSession, type_: str, entity_ids: Sequence[uuid.UUID]) -> None:
    if entity_ids:
        await session.execute(
            search_documents.delete().where(
                search_documents.c.type == type_, search_documents.c.entity_id.in_(entity_ids)
            )
        )


async def contact_ids(session: AsyncSession, client_id: uuid.UUID) -> list[uuid.UUID]:
    """The contacts of a client that search knows."""
    d = search_documents.c
    query = select(d.entity_id).where(d.client_id == client_id, d.type == "contact")
    return list(await session.scalars(query))


# ---------------------------------------------------------------- matchers


def _hits(rows: Any, scores: Sequence[float] | None = None) -> list[Hit]:
    return [
        Hit(
            r.type,
            r.entity_id,
            r.client_id,
            r.title,
            r.body,
            r.at,
            float(r.score if scores is None else scores[i]),
        )
        for i, r in enumerate(rows)
    ]


def _scope(caller: Caller) -> ColumnElement[bool]:
    """The caller's documents. A manager's: those whose copy of their client's account
    manager names them (``shared.replicas.manager_scope``), which the GIN indexes hold first
    on PostgreSQL, (manager, ``fts_doc``) and (manager, title): their matches are found in
    the index alone, never every document of a common word read to keep their ~1 %. A
    head's: their team's clients (``client_scope``), a semi-join over the matches (their
    managers instead made PostgreSQL search the GIN index once per manager: up to 31x slower;
    docs/architecture.md)."""
    d = search_documents.c
    if caller.role == Role.HEAD:
        return client_scope(caller, d.client_id)
    return manager_scope(caller, d.account_manager_id)


def _scoped(caller: Caller, types: Sequence[str], *columns: ColumnElement[Any]) -> Select[Any]:
    d = search_documents.c
    return select(d.type, d.entity_id, d.client_id, d.title, d.body, d.at, *columns).where(
        _scope(caller), d.type.in_(types)
    )


async def plan_each_query(session: AsyncSession) -> None:
    """PostgreSQL: plan the session's statements for their parameters (a generic plan of a
    prepared statement cannot tell a rare word from a common one, and may read the whole
    table by a sequential scan for a word in no document), with room for exact bitmaps.

    Call it first, on a session that has not begun: it begins a transaction of its own (a
    read session runs in autocommit, where a setting local to its transaction would end with
    its own statement), so the settings hold for the session's statements and end with it;
    the pooled connection keeps nothing of them."""
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "READ COMMITTED"})
        # work_mem: the bitmap of a head's clients' documents (100,000 and more) stays
        # exact, not lossy (a lossy one rechecks every row of its pages: seconds); both for
        # this transaction only, in one round trip
        await session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                "set_config('work_mem', '16MB', true)"
            )
        )


async def text_matches(
    session: AsyncSession, caller: Caller, query: str, types: Sequence[str], limit: int
) -> list[Hit]:
    """The documents whose words match the query's (full text), best ranked first."""
    if session.get_bind().dialect.name == "postgresql":
        return await _pg_text(session, caller, query, types, limit)
    match = fts5_query(query)
    if match is None:
        return []
    fts = table("fts_search", column("rowid"))
    rank = func.bm25(literal_column("fts_search"), TITLE_WEIGHT, BODY_WEIGHT)
    stmt = (
        _scoped(caller, types, (-rank).label("score"))
        .join_from(search_documents, fts, fts.c.rowid == search_documents.c.seq)
        .where(literal_column("fts_search").op("MATCH")(match))
        .order_by(rank, search_documents.c.at.desc())
        .limit(limit)
    )
    return _hits(await session.execute(stmt))


def pg_tsquery(query: ColumnElement[str]) -> ColumnElement[Any]:
    """``websearch_to_tsquery`` of the query in the ``russian`` configuration OR the
    ``english`` one (a document matches the words of either reading)."""
    ru = func.websearch_to_tsquery(literal_column("'russian'::regconfig"), query)
    en = func.websearch_to_tsquery(literal_column("'english'::regconfig"), query)
    return ru.op("||")(en)


# The statements of the matchers, built once per caller and types with the query bound when
# they run (``q``, ``limit``...): building the full-text one and its cache key took 0.35 ms
# of each search's CPU, the names' 0.13 ms (a manager's name statement runs in ~1 ms).
_QUERY = bindparam("q", type_=String())
_LIMIT = bindparam("limit", type_=Integer())


async def _pg_text(
    session: AsyncSession, caller: Caller, query: str, types: Sequence[str], limit: int
) -> list[Hit]:
    stmt = _pg_text_statement(caller, tuple(types))
    return _hits(await session.execute(stmt, {"q": query, "limit": limit}))


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _pg_text_statement(caller: Caller, types: tuple[str, ...]) -> Select[Any]:
    """The first ``TEXT_CANDIDATES`` matches found (in the order of the table), ranked by
    ``ts_rank``: a word in half a million documents costs a bounded read, not a rank of
    each. (Ordering the candidates, e.g. newest first, would let PostgreSQL walk an index
    of that order filtering every row: seconds for a word it wrongly thinks common.)"""
    tsq = pg_tsquery(_QUERY)
    doc: ColumnElement[Any] = literal_column("fts_doc")
    found = (
        _scoped(caller, types, doc.label("doc"))
        .where(doc.op("@@")(tsq))
        .limit(TEXT_CANDIDATES)
        .subquery()
    )
    rank = func.ts_rank(found.c.doc, tsq)
    return (
        select(
            found.c.type,
            found.c.entity_id,
            found.c.client_id,
            found.c.title,
            found.c.body,
            found.c.at,
            rank.label("score"),
        )
        .order_by(rank.desc(), found.c.at.desc())
        .limit(_LIMIT)
    )


async def name_matches(
    session: AsyncSession, caller: Caller, query: str, types: Sequence[str], limit: int
) -> list[Hit]:
    """Clients and contacts whose name is similar to the query (trigram similarity at least
    ``SIMILARITY_THRESHOLD``: a typo or two), by similarity."""
    named = [t for t in types if t in NAMED]
    if not named:
        return []
    d = search_documents.c
    if session.get_bind().dialect.name == "postgresql":
        stmt = _pg_names_statement(caller, tuple(named))
        return _hits(await session.execute(stmt, {"q": query, "limit": limit}))
    match = fts5_trigram_query(query)
    if match is None:
        return []
    fts = text(
        "SELECT rowid FROM fts_search_names WHERE fts_search_names MATCH :match "
        f"ORDER BY rank LIMIT {CANDIDATES}"
    ).bindparams(match=match)
    stmt = _scoped(caller, named).where(d.seq.in_(fts.columns(literal_column("rowid"))))
    rows = [(r, s) for r in await session.execute(stmt) if (s := similarity(r.title, query))]
    kept = sorted(((r, s) for r, s in rows if s >= SIMILARITY_THRESHOLD), key=lambda p: -p[1])[
        :limit
    ]
    return _hits([r for r, _ in kept], [s for _, s in kept])


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _pg_names_statement(caller: Caller, named: tuple[str, ...]) -> Select[Any]:
    d = search_documents.c
    score = func.similarity(d.title, _QUERY)
    return (
        _scoped(caller, named, score.label("score"))
        .where(d.title.op("%")(_QUERY))
        .order_by(score.desc(), d.at.desc())
        .limit(_LIMIT)
    )


async def key_matches(
    session: AsyncSession,
    caller: Caller,
    types: Sequence[str],
    limit: int,
    *,
    phones: Sequence[str] = (),
    email: str | None = None,
    number: str | None = None,
) -> list[Hit]:
    """Contacts by a phone's E.164 or an email, invoices by their number (exactly, or
    starting with it): portable SQL on plain indexes."""
    keys = {"phones": bool(phones), "email": bool(email), "number": bool(number)}
    stmt = _keys_statement(caller, tuple(types), **keys)
    if stmt is None:
        return []
    values: dict[str, Any] = {"limit": limit, "phones": list(phones), "email": email}
    if number:
        values |= {"number": number, "number_start": _like_prefix(number)}
    rows = list(await session.execute(stmt, values))
    return _hits(rows, [EXACT_SCORE if r.exact else PREFIX_SCORE for r in rows])


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _keys_statement(
    caller: Caller, types: tuple[str, ...], *, phones: bool, email: bool, number: bool
) -> Select[Any] | None:
    """:func:`key_matches`' statement for the keys the query has, bound when it runs
    (``phones``: a list, ``email``, ``number`` and ``number_start``: its LIKE pattern)."""
    d = search_documents.c
    found: list[ColumnElement[bool]] = []
    if phones and "contact" in types:
        found.append(and_(d.type == "contact", d.phone.in_(bindparam("phones", expanding=True))))
    if email and "contact" in types:
        found.append(and_(d.type == "contact", d.email == bindparam("email", type_=String())))
    if number and "invoice" in types:
        start = bindparam("number_start", type_=String())
        found.append(and_(d.type == "invoice", d.number.like(start, escape="\\")))
    if not found:
        return None
    exact = d.number == bindparam("number", type_=String()) if number else d.type == "contact"
    return (
        _scoped(caller, types, exact.label("exact"))
        .where(or_(*found))
        .order_by(d.number, d.at.desc())
        .limit(_LIMIT)
    )


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
