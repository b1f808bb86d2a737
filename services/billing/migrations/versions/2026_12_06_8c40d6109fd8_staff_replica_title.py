"""staff_replica: the staff member's job title, as the staff events carry it

Revision ID: 8c40d6109fd8
Revises: 3f6a1c9e2b47
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import drop_staff_replica_title_v1, staff_replica_title_v1

revision = "8c40d6109fd8"
down_revision = "3f6a1c9e2b47"
branch_labels = None
depends_on = None


def upgrade() -> None:
    staff_replica_title_v1()


def downgrade() -> None:
    drop_staff_replica_title_v1()
