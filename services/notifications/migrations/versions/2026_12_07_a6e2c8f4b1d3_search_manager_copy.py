"""search_documents keep their client's account manager (a copy of the replica's, kept
current by every change of it), and PostgreSQL's GIN indexes of the words and of the names
hold it first (``btree_gin``): a manager's matches are found in the index alone, not every
document of a common word read from the table to keep the manager's ~1 % of them

Revision ID: a6e2c8f4b1d3
Revises: f4c9a1e6b3d8
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.migration_ops import drop_manager_copy_v1, manager_copy_v1

revision = "a6e2c8f4b1d3"
down_revision = "f4c9a1e6b3d8"
branch_labels = None
depends_on = None

NAMED = "type IN ('client', 'contact')"
PG = [
    # btree_gin: a GIN operator class for a plain column (the manager's uuid), so one index
    # holds (manager, word); trusted since PostgreSQL 13 (the database owner may create it)
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX fts_search_documents_manager_doc ON search_documents "
    "USING gin (account_manager_id, fts_doc)",
    "DROP INDEX fts_search_documents_doc",
    "CREATE INDEX fts_search_documents_manager_names ON search_documents "
    f"USING gin (account_manager_id, title gin_trgm_ops) WHERE {NAMED}",
    "DROP INDEX fts_search_documents_names",
]
PG_DOWN = [
    "CREATE INDEX fts_search_documents_doc ON search_documents USING gin (fts_doc)",
    "DROP INDEX fts_search_documents_manager_doc",
    "CREATE INDEX fts_search_documents_names ON search_documents "
    f"USING gin (title gin_trgm_ops) WHERE {NAMED}",
    "DROP INDEX fts_search_documents_manager_names",
]
UNMANAGED = sa.text("account_manager_id IS NULL")


def upgrade() -> None:
    manager_copy_v1("search_documents", [])
    # the documents without a manager yet, found by fill_manager_copies without a scan
    op.create_index(
        "ix_search_documents_unmanaged",
        "search_documents",
        ["client_id"],
        postgresql_where=UNMANAGED,
        sqlite_where=UNMANAGED,
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
    op.drop_index("ix_search_documents_unmanaged", table_name="search_documents")
    drop_manager_copy_v1("search_documents", [])
