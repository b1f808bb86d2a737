"""Migration 3f9a2c7e1b64 on SQLite and the real PostgreSQL: what the scorecard kept in its own
tables (``sc_staff``, ``sc_report_preferences``, ``sc_reports``) is carried into the staff
replica and the locales, the preferences and the deliveries; the downgrade brings it back."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from services.notifications.app import SPEC
from shared.migrations import alembic_config, migrate
from tests.support.migrations import on_migration_connection

pytestmark = pytest.mark.integration

BEFORE, REVISION = "b4e81c2f7a90", "3f9a2c7e1b64"
AT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def revision_module() -> ModuleType:
    (path,) = (SPEC.migrations / "versions").glob(f"*_{REVISION}_*.py")
    spec = importlib.util.spec_from_file_location("scorecard_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def staff(staff_id: uuid.UUID, name: str, locale: str | None) -> dict[str, Any]:
    return {
        "id": staff_id,
        "name": name,
        "email": f"{name.lower()}@orbit.example",
        "role": "head",
        "department": "Sales",
        "head_id": None,
        "timezone": "Europe/Moscow",
        "locale": locale,
        "active": True,
        "source_time": AT,
    }


async def test_the_scorecard_tables_are_carried_over(any_db_url: str) -> None:
    m = revision_module()
    await migrate(SPEC.migrations, any_db_url, BEFORE)
    ann, bob = uuid.uuid4(), uuid.uuid4()
    report = uuid.uuid4()

    def seed(conn: sa.Connection) -> None:
        ann_row = staff(ann, "Ann", "ru")
        conn.execute(m.sc_staff.insert(), [ann_row, staff(bob, "Bob", "ru-RU")])
        replica = {k: v for k, v in ann_row.items() if k != "locale"}
        conn.execute(m.staff_replica.insert().values(**replica))  # Bob: only the scorecard's
        conn.execute(
            m.preferences.insert().values(
                staff_id=ann,
                channels={"info": ["in_app"]},
                quiet_hours=None,
                digest=None,
                updated_at=AT,
            )
        )
        conn.execute(
            m.sc_report_preferences.insert(),
            [
                {"staff_id": ann, "period": "week", "enabled": False, "updated_at": AT},
                {"staff_id": bob, "period": "day", "enabled": False, "updated_at": AT},
            ],
        )
        conn.execute(
            m.sc_reports.insert().values(
                id=report,
                recipient_id=bob,
                period="week",
                period_start=date(2026, 11, 23),
                email="bob@orbit.example",
                locale="ru",
                subject="Weekly",
                html="<p>report</p>",
                attachment_name="scorecard-week-2026-W48.xlsx",
                attachment=b"PK\x03\x04",
                status="pending",
                attempts=2,
                last_error="connection refused",
                created_at=AT,
                sent_at=None,
            )
        )

    await on_migration_connection(any_db_url, seed)
    await migrate(SPEC.migrations, any_db_url)

    def read(conn: sa.Connection) -> dict[str, Any]:
        tables = set(sa.inspect(conn).get_table_names())
        return {
            "tables": tables,
            "replica": {r.id: r.name for r in conn.execute(sa.select(m.staff_replica))},
            "locales": {r.subject_id: r.locale for r in conn.execute(sa.select(m.locales))},
            "preferences": {
                r.staff_id: (r.channels, r.reports) for r in conn.execute(sa.select(m.preferences))
            },
            "deliveries": list(conn.execute(sa.select(m.deliveries)).mappings()),
        }

    after = await on_migration_connection(any_db_url, read)
    assert not after["tables"] & {"sc_staff", "sc_report_preferences", "sc_reports"}
    assert after["replica"] == {ann: "Ann", bob: "Bob"}
    assert after["locales"] == {ann: "ru", bob: "ru-RU"}
    assert after["preferences"][ann] == ({"info": ["in_app"]}, {"week": False})
    assert after["preferences"][bob] == (m.DEFAULT_CHANNELS, {"day": False})
    (delivery,) = after["deliveries"]
    assert delivery["id"] == report
    assert delivery["key"] == f"scorecard:{bob}:week:2026-11-23"
    assert (delivery["channel"], delivery["status"], delivery["attempts"]) == (
        "email",
        "pending",
        2,
    )
    assert delivery["next_attempt_at"] == AT  # still to send
    assert (delivery["address"], delivery["html_body"]) == ("bob@orbit.example", "<p>report</p>")
    assert delivery["attachment"] == b"PK\x03\x04"

    def downgrade(conn: sa.Connection) -> None:
        config = alembic_config(SPEC.migrations, any_db_url)
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)

    await on_migration_connection(any_db_url, downgrade)

    def read_back(conn: sa.Connection) -> tuple[Any, ...]:
        reports = list(conn.execute(sa.select(m.sc_reports)).mappings())
        chosen = {
            (r.staff_id, r.period, r.enabled)
            for r in conn.execute(sa.select(m.sc_report_preferences))
        }
        names = {r.id: r.locale for r in conn.execute(sa.select(m.sc_staff))}
        return reports, chosen, names

    reports, chosen, names = await on_migration_connection(any_db_url, read_back)
    assert [(r["id"], r["status"], r["period_start"]) for r in reports] == [
        (report, "pending", date(2026, 11, 23))
    ]
    assert chosen == {(ann, "week", False), (bob, "day", False)}
    assert names == {ann: "ru", bob: "ru-RU"}
