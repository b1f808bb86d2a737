"""Frozen migration steps shared by the services' first migrations.

Each function is a snapshot (``_v1``): never edit one that a migration uses; add a ``_v2``
for a change, called from a new migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db import BigIntPK, JSONType, UTCDateTime


def create_platform_tables_v1() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "seq"])
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(100), nullable=True),
        sa.Column("event_type", sa.String(200), nullable=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=True),
        sa.Column("offset", BigIntPK, nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("caller_id", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("caller_id", "key"),
    )
    op.create_table(
        "scheduled_alerts",
        sa.Column("alert_key", sa.String(300), primary_key=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("emitted_at", UTCDateTime(), nullable=False),
    )


def create_replica_tables_v1() -> None:
    op.create_table(
        "staff_replica",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("head_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_time", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "client_replica",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("sla", JSONType, nullable=False),
        sa.Column("contacts", JSONType, nullable=False),
        sa.Column("source_time", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_client_replica_account_manager_id", "client_replica", ["account_manager_id"]
    )


def platform_tables_v2() -> None:
    """Tracing and operations on the platform tables: the emitting span's ``traceparent`` on
    the outbox, when and how ``orbit dlq`` resolved a dead letter, and the index the
    retention job deletes old inbox rows by (sent outbox rows go by ``ix_outbox_unsent``)."""
    op.add_column("outbox", sa.Column("traceparent", sa.String(100), nullable=True))
    op.add_column("dead_letters", sa.Column("resolved_at", UTCDateTime(), nullable=True))
    op.add_column("dead_letters", sa.Column("resolution", sa.String(20), nullable=True))
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"])


def drop_platform_tables_v2() -> None:
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("resolution")
        batch.drop_column("resolved_at")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("traceparent")


def client_replica_team_v1() -> None:
    """The account manager's team on ``client_replica`` (as the client events carry it): the
    manager's department and the head responsible for escalations, filled from
    ``staff_replica`` for the rows there (the manager's head; a head without one: themself;
    no manager, or one not replicated: none, until the client's next event)."""
    op.add_column(
        "client_replica",
        sa.Column("account_manager_department", sa.String(200), nullable=True),
    )
    op.add_column("client_replica", sa.Column("head_id", sa.Uuid(), nullable=True))
    op.execute(
        """
        UPDATE client_replica SET
            account_manager_department = (
                SELECT s.department FROM staff_replica s
                WHERE s.id = client_replica.account_manager_id
            ),
            head_id = (
                SELECT CASE
                    WHEN s.head_id IS NOT NULL THEN s.head_id
                    WHEN s.role = 'head' THEN s.id
                END
                FROM staff_replica s
                WHERE s.id = client_replica.account_manager_id
            )
        WHERE account_manager_id IS NOT NULL
        """
    )


def drop_client_replica_team_v1() -> None:
    with op.batch_alter_table("client_replica") as batch:
        batch.drop_column("head_id")
        batch.drop_column("account_manager_department")


def create_audit_log_v1() -> None:
    """The audit trail (``shared/audit.py``): append-only, one row per changed field."""
    op.create_table(
        "audit_log",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("old", JSONType, nullable=True),
        sa.Column("new", JSONType, nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def drop_audit_log_v1() -> None:
    op.drop_table("audit_log")


def create_policy_replica_v1() -> None:
    """The copy of the policies set at run time (``shared/policy_replica.py``)."""
    op.create_table(
        "policy_replica",
        sa.Column("department", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("source_time", UTCDateTime(), nullable=False),
    )


def drop_policy_replica_v1() -> None:
    op.drop_table("policy_replica")


def staff_replica_title_v1() -> None:
    """The staff member's job title on ``staff_replica`` (as the staff events carry it: the
    signature of the emails to their clients); none until their next event or read."""
    op.add_column("staff_replica", sa.Column("title", sa.String(200), nullable=True))


def drop_staff_replica_title_v1() -> None:
    with op.batch_alter_table("staff_replica") as batch:
        batch.drop_column("title")


def create_sort_indexes_v1(indexes: list[tuple[str, str, str]]) -> None:
    """The indexes of the lists' sorts: ``(name, table, key)`` each, on (key, id); the key an
    expression both databases take alike (``shared.pagination.sort_indexes``)."""
    for name, table, key in indexes:
        op.create_index(name, table, [sa.text(key), sa.text("id")])


def drop_sort_indexes_v1(indexes: list[tuple[str, str, str]]) -> None:
    for name, table, _ in indexes:
        op.drop_index(name, table_name=table)


def manager_copy_v1(
    table: str, indexes: list[tuple[str, str, str]], include: dict[str, list[str]] | None = None
) -> None:
    """``table``'s copy of its client's account manager (``shared.replica_store``'s
    ``keep_manager_copies`` keeps it current): the column, filled from the replica, and the
    index of a manager's list in each sort, ``(name, key on PostgreSQL, key on SQLite)`` on
    (manager, key, id), carrying ``include[name]`` on PostgreSQL."""
    op.add_column(table, sa.Column("account_manager_id", sa.Uuid(), nullable=True))
    op.execute(
        f"UPDATE {table} SET account_manager_id = (SELECT r.account_manager_id "
        f"FROM client_replica r WHERE r.id = {table}.client_id)"
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, postgresql_key, sqlite_key in indexes:
        key = sqlite_key if sqlite else postgresql_key
        op.create_index(
            name,
            table,
            [sa.text("account_manager_id"), sa.text(key), sa.text("id")],
            postgresql_include=(include or {}).get(name, []),
        )


def drop_manager_copy_v1(table: str, indexes: list[tuple[str, str, str]]) -> None:
    for name, _, _ in indexes:
        op.drop_index(name, table_name=table)
    # DROP COLUMN in place (SQLite 3.35+ too): a batch's copy of the table would lose the
    # indexes on expressions it cannot reflect (the sorts' ``coalesce(...)`` keys)
    op.drop_column(table, "account_manager_id")


def client_replica_manager_index_v1() -> None:
    """``client_replica`` on (account manager, id): the clients of a scope read from the index
    alone (``shared.replicas.manager_scope``). It replaces the index on the account manager
    alone, which it covers (one index to keep up on every replica write, not two)."""
    op.create_index(
        "ix_client_replica_manager_client", "client_replica", ["account_manager_id", "id"]
    )
    op.drop_index("ix_client_replica_account_manager_id", table_name="client_replica")


def drop_client_replica_manager_index_v1() -> None:
    op.create_index(
        "ix_client_replica_account_manager_id", "client_replica", ["account_manager_id"]
    )
    op.drop_index("ix_client_replica_manager_client", table_name="client_replica")


def requests_client_calls_index_v1() -> None:
    """The call requests of a client (the SLA report's missed calls), a partial index."""
    where = sa.text("interaction_type = 'call'")
    op.create_index(
        "ix_requests_client_calls",
        "requests",
        ["client_id"],
        postgresql_where=where,
        sqlite_where=where,
    )


def drop_requests_client_calls_index_v1() -> None:
    op.drop_index("ix_requests_client_calls", table_name="requests")


PORTFOLIO_COLUMNS = ["account_manager_id", "tier", "status", "name_lower", "id", "name"]


def clients_portfolio_index_v1() -> None:
    """``clients`` by account manager with what the portfolio report reads of them."""
    op.create_index("ix_clients_manager_portfolio", "clients", PORTFOLIO_COLUMNS)


def drop_clients_portfolio_index_v1() -> None:
    op.drop_index("ix_clients_manager_portfolio", table_name="clients")
