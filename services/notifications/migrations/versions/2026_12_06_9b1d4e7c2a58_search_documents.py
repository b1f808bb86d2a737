"""search_documents: the search read model (clients, contacts, invoices, interactions, meeting
reports) and its full-text parts: PostgreSQL a generated tsvector (``russian`` and
``english``), GIN indexes and a ``pg_trgm`` index of names; SQLite the FTS5 tables
``fts_search`` (unicode61) and ``fts_search_names`` (trigram) kept by triggers

Revision ID: 9b1d4e7c2a58
Revises: 4c8e1f6a9b27
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "9b1d4e7c2a58"
down_revision = "4c8e1f6a9b27"
branch_labels = None
depends_on = None

TIME = shared.db.UTCDateTime(timezone=True)

PG_DOCUMENT = (
    "setweight(to_tsvector('russian'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, body), 'B') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B')"
)
PG = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"ALTER TABLE search_documents ADD COLUMN fts_doc tsvector "
    f"GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED",
    "CREATE INDEX fts_search_documents_doc ON search_documents USING gin (fts_doc)",
    "CREATE INDEX fts_search_documents_names ON search_documents "
    "USING gin (title gin_trgm_ops) WHERE type IN ('client', 'contact')",
    "CREATE INDEX fts_search_documents_number ON search_documents "
    "(number varchar_pattern_ops) WHERE number IS NOT NULL",
]
SQLITE = [
    "CREATE VIRTUAL TABLE fts_search USING fts5(title, body, content='search_documents', "
    "content_rowid='seq', tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE fts_search_names USING fts5(title, content='search_documents', "
    "content_rowid='seq', tokenize='trigram')",
    """CREATE TRIGGER fts_search_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO fts_search (rowid, title, body) VALUES (new.seq, new.title, new.body);
        INSERT INTO fts_search_names (rowid, title) SELECT new.seq, new.title
            WHERE new.type IN ('client', 'contact');
    END""",
    """CREATE TRIGGER fts_search_delete AFTER DELETE ON search_documents BEGIN
        INSERT INTO fts_search (fts_search, rowid, title, body)
            VALUES ('delete', old.seq, old.title, old.body);
        INSERT INTO fts_search_names (fts_search_names, rowid, title)
            SELECT 'delete', old.seq, old.title WHERE old.type IN ('client', 'contact');
    END""",
    """CREATE TRIGGER fts_search_update AFTER UPDATE ON search_documents BEGIN
        INSERT INTO fts_search (fts_search, rowid, title, body)
            VALUES ('delete', old.seq, old.title, old.body);
        INSERT INTO fts_search_names (fts_search_names, rowid, title)
            SELECT 'delete', old.seq, old.title WHERE old.type IN ('client', 'contact');
        INSERT INTO fts_search (rowid, title, body) VALUES (new.seq, new.title, new.body);
        INSERT INTO fts_search_names (rowid, title) SELECT new.seq, new.title
            WHERE new.type IN ('client', 'contact');
    END""",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("seq", shared.db.BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("source_time", TIME, nullable=False),
        sa.UniqueConstraint("type", "entity_id", name="uq_search_documents_entity"),
    )
    op.create_index("ix_search_documents_client", "search_documents", ["client_id"])
    op.create_index("ix_search_documents_phone", "search_documents", ["phone"])
    op.create_index("ix_search_documents_email", "search_documents", ["email"])
    for statement in PG if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS fts_search_{name}")
        op.execute("DROP TABLE IF EXISTS fts_search_names")
        op.execute("DROP TABLE IF EXISTS fts_search")
    op.drop_table("search_documents")
