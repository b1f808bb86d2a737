"""lowercase tags

Tags are compared case-insensitively since this revision: stored stripped, lower-case, each
once, in their order. Existing clients' tags (``clients.tags`` and the ``client_tags`` index
rows) are brought to that form. Data only; irreversible (the original case is not kept), so
the downgrade changes nothing.

Revision ID: 80eb50822fc5
Revises: 291dc7ec0b26
Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "80eb50822fc5"
down_revision = "291dc7ec0b26"
branch_labels = None
depends_on = None

# Frozen copies of the tables as this revision knows them (not the models, which move on).
clients = sa.table("clients", sa.column("id", sa.Uuid()), sa.column("tags", shared.db.JSONType))
client_tags = sa.table(
    "client_tags", sa.column("client_id", sa.Uuid()), sa.column("tag", sa.String(50))
)


def _normalized(tags: Any) -> list[str]:
    """The rule of this revision, frozen: stripped, lower-case, at most 50 characters, no
    empty tag, each once in its first position."""
    out: dict[str, None] = {}
    for raw in tags or []:
        tag = str(raw).strip().lower()[:50].strip()
        if tag:
            out.setdefault(tag)
    return list(out)


def upgrade() -> None:
    bind = op.get_bind()
    for client_id, tags in bind.execute(sa.select(clients.c.id, clients.c.tags)).all():
        normalized = _normalized(tags)
        if normalized == tags:
            continue
        bind.execute(clients.update().where(clients.c.id == client_id).values(tags=normalized))
        bind.execute(client_tags.delete().where(client_tags.c.client_id == client_id))
        if normalized:
            bind.execute(
                client_tags.insert(), [{"client_id": client_id, "tag": tag} for tag in normalized]
            )


def downgrade() -> None:
    pass
