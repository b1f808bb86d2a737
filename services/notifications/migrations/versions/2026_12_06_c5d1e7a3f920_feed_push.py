"""notifications: the live stream's cursor (``seq``, numbered in commit order per recipient)
and its wake-up (PostgreSQL: a NOTIFY on channel ``orbit_notifications`` carrying the recipient at
the inserting transaction's commit); an index of the unread entries (counts, read-all)

Revision ID: c5d1e7a3f920
Revises: 9b1d4e7c2a58
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c5d1e7a3f920"
down_revision = "9b1d4e7c2a58"
branch_labels = None
depends_on = None

# The first key of the advisory locks of the recipients (pg_advisory_xact_lock(int, int): a
# space of its own, apart from the single-key locks).
FEED_LOCK = 7_110_001


def upgrade() -> None:
    # Entries written before: seq 0 (they precede every new one; among them, by id).
    op.add_column(
        "notifications",
        sa.Column("seq", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_notifications_stream", "notifications", ["recipient_id", "seq", "id"])
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["recipient_id", "created_at"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The recipient's entries are numbered in commit order: an insert waits for the
        # recipient's lock (held by a transaction that inserted for them until it ends)
        # before taking the next number, so no entry can become visible before one with a
        # lower number of the same recipient. Then NOTIFY (sent at commit).
        op.execute("CREATE SEQUENCE notifications_seq")
        op.execute(
            f"""
            CREATE FUNCTION orbit_notifications_seq() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock({FEED_LOCK}, hashtext(NEW.recipient_id::text));
                NEW.seq := nextval('notifications_seq');
                RETURN NEW;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER notifications_seq BEFORE INSERT ON notifications "
            "FOR EACH ROW EXECUTE FUNCTION orbit_notifications_seq()"
        )
        op.execute(
            """
            CREATE FUNCTION orbit_notifications_notify() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('orbit_notifications', NEW.recipient_id::text);
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER notifications_notify AFTER INSERT ON notifications "
            "FOR EACH ROW EXECUTE FUNCTION orbit_notifications_notify()"
        )
    else:
        # SQLite runs one write transaction at a time: the recipient's next number is in
        # commit order.
        op.execute(
            """
            CREATE TRIGGER notifications_seq AFTER INSERT ON notifications
            FOR EACH ROW WHEN NEW.seq = 0
            BEGIN
                UPDATE notifications SET seq = (
                    SELECT COALESCE(MAX(seq), 0) + 1 FROM notifications
                    WHERE recipient_id = NEW.recipient_id
                ) WHERE rowid = NEW.rowid;
            END
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER notifications_notify ON notifications")
        op.execute("DROP FUNCTION orbit_notifications_notify()")
        op.execute("DROP TRIGGER notifications_seq ON notifications")
        op.execute("DROP FUNCTION orbit_notifications_seq()")
        op.execute("DROP SEQUENCE notifications_seq")
    else:
        op.execute("DROP TRIGGER notifications_seq")
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_index("ix_notifications_stream", table_name="notifications")
    op.drop_column("notifications", "seq")
