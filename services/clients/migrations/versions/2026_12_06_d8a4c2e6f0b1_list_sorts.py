"""the lists' sorts: an index on (sort key, id) for each field a clients list sorts by
(``?sort=``; the keys as ``store.models`` declares them: a client's name by ``name_lower``,
a contact's or a member of staff's lower-cased)

Revision ID: d8a4c2e6f0b1
Revises: 8f3c1d2e4a67
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_sort_indexes_v1, drop_sort_indexes_v1

revision = "d8a4c2e6f0b1"
down_revision = "8f3c1d2e4a67"
branch_labels = None
depends_on = None

# (index, table, key): the same expression on both databases (SQLite's lower() is replaced
# by a Unicode one on each connection, shared.db)
INDEXES = [
    ("ix_clients_sort_created_at", "clients", "created_at"),
    ("ix_clients_sort_updated_at", "clients", "updated_at"),
    ("ix_clients_sort_name", "clients", "name_lower"),
    ("ix_clients_sort_tier", "clients", "tier"),
    ("ix_clients_sort_status", "clients", "status"),
    ("ix_staff_sort_created_at", "staff", "created_at"),
    ("ix_staff_sort_name", "staff", "lower(name)"),
    ("ix_contacts_sort_created_at", "contacts", "created_at"),
    ("ix_contacts_sort_name", "contacts", "lower(name)"),
]


def upgrade() -> None:
    create_sort_indexes_v1(INDEXES)


def downgrade() -> None:
    drop_sort_indexes_v1(INDEXES)
