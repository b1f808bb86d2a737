"""Billing's c3e5a7b9d1f4: on PostgreSQL the index of a client's invoices carries what the
ageing and payment-discipline reports add up (``INVOICE_REPORT_COLUMNS``), so a head's
reports read the invoices from the index alone; down, the index is as it was."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command

from services.billing.app import SPEC
from services.billing.store.models import INVOICE_REPORT_COLUMNS
from shared.migrations import alembic_config, migrate
from tests.support.migrations import on_migration_connection

pytestmark = pytest.mark.integration


def _definition(conn: Any) -> str:
    return str(
        conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_invoices_client_status'"
        ).scalar_one()
    )


async def test_the_index_of_a_clients_invoices_carries_the_reports_columns(pg_url: str) -> None:
    await migrate(SPEC.migrations, pg_url, "b2d4f6a8c0e1")
    before = await on_migration_connection(pg_url, _definition)
    assert "INCLUDE" not in before

    await migrate(SPEC.migrations, pg_url)
    after = await on_migration_connection(pg_url, _definition)
    assert after.endswith(f"(client_id, status) INCLUDE ({', '.join(INVOICE_REPORT_COLUMNS)})")

    def downgrade(conn: Any) -> None:
        config = alembic_config(SPEC.migrations, pg_url)
        config.attributes["connection"] = conn
        command.downgrade(config, "b2d4f6a8c0e1")

    await on_migration_connection(pg_url, downgrade)
    assert await on_migration_connection(pg_url, _definition) == before
