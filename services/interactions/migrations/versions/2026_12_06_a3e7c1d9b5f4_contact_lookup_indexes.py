"""contact lookups: the indexes that find a client by a contact's phone (a call) or e-mail
address (a letter) in ``client_replica`` without reading it whole (PostgreSQL; the embedded
SQLite database is small): a GIN ``jsonb_path_ops`` index of ``contacts`` for the phone's
containment, a ``pg_trgm`` index of its lower-cased text for the address
(``shared.replicas.contact_filter``); named ``fts_`` as the other GIN and trigram indexes the
models cannot express (``shared.migrations.FTS_PREFIX``)

Revision ID: a3e7c1d9b5f4
Revises: 7c2e9a4b1d36
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "a3e7c1d9b5f4"
down_revision = "7c2e9a4b1d36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX fts_client_replica_contact_phones ON client_replica "
        "USING gin (contacts jsonb_path_ops)"
    )
    op.execute(
        "CREATE INDEX fts_client_replica_contact_text ON client_replica "
        "USING gin (lower(CAST(contacts AS VARCHAR)) gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS fts_client_replica_contact_text")
    op.execute("DROP INDEX IF EXISTS fts_client_replica_contact_phones")
