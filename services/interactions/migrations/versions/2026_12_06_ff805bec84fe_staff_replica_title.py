"""staff_replica: the staff member's job title, as the staff events carry it

Revision ID: ff805bec84fe
Revises: f2c4d6e8a0b7
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import drop_staff_replica_title_v1, staff_replica_title_v1

revision = "ff805bec84fe"
down_revision = "f2c4d6e8a0b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    staff_replica_title_v1()


def downgrade() -> None:
    drop_staff_replica_title_v1()
