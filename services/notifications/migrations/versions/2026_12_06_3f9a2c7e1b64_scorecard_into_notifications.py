"""The scorecard as a feature of notifications: its staff are the staff replica (``sc_staff``
goes: a member only it knew joins ``staff_replica``, their locale ``locales``), its report
choices are ``preferences.reports`` (``sc_report_preferences`` goes), and its scheduled
reports are email ``deliveries`` with their workbook in ``deliveries.attachment``
(``sc_reports`` goes: every report row is carried over, the pending ones still to send)

Revision ID: 3f9a2c7e1b64
Revises: b4e81c2f7a90 (the stream tickets)
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

revision = "3f9a2c7e1b64"
down_revision = "b4e81c2f7a90"
branch_labels = None
depends_on = None

JSONB_OR_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = shared.db.UTCDateTime(timezone=True)
# The defaults of a preferences row written only for its report choices (as of this
# revision: every severity in the app and by email).
DEFAULT_CHANNELS = {s: ["in_app", "email"] for s in ("info", "warning", "critical")}
REPORT_TEMPLATE = "scorecard_report"
REPORT_EVENT_TYPE = "orbit.notifications.scorecard_report"
REPORT_PLAIN = "This report is HTML; open it in a mail client that shows HTML."

meta = sa.MetaData()
sc_staff = sa.Table(
    "sc_staff",
    meta,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("department", sa.String(200), nullable=True),
    sa.Column("head_id", sa.Uuid(), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("locale", sa.String(35), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("source_time", TIME, nullable=False),
)
sc_report_preferences = sa.Table(
    "sc_report_preferences",
    meta,
    sa.Column("staff_id", sa.Uuid(), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("updated_at", TIME, nullable=False),
)
sc_reports = sa.Table(
    "sc_reports",
    meta,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("recipient_id", sa.Uuid(), nullable=False),
    sa.Column("period", sa.String(10), nullable=False),
    sa.Column("period_start", sa.Date(), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("locale", sa.String(5), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("html", sa.Text(), nullable=False),
    sa.Column("attachment_name", sa.String(200), nullable=False),
    sa.Column("attachment", sa.LargeBinary(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("sent_at", TIME, nullable=True),
    sa.UniqueConstraint("recipient_id", "period", "period_start", name="uq_sc_reports_once"),
    sa.Index("ix_sc_reports_status", "status", "created_at"),
)
staff_replica = sa.Table(
    "staff_replica",
    meta,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("email", sa.String(320)),
    sa.Column("role", sa.String(20)),
    sa.Column("department", sa.String(200)),
    sa.Column("head_id", sa.Uuid()),
    sa.Column("timezone", sa.String(64)),
    sa.Column("active", sa.Boolean()),
    sa.Column("source_time", TIME),
)
locales = sa.Table(
    "locales",
    meta,
    sa.Column("subject_id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(10)),
    sa.Column("locale", sa.String(35)),
)
preferences = sa.Table(
    "preferences",
    meta,
    sa.Column("staff_id", sa.Uuid(), primary_key=True),
    sa.Column("channels", JSONB_OR_JSON),
    sa.Column("quiet_hours", JSONB_OR_JSON),
    sa.Column("digest", JSONB_OR_JSON),
    sa.Column("reports", JSONB_OR_JSON),
    sa.Column("updated_at", TIME),
)
deliveries = sa.Table(
    "deliveries",
    meta,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("key", sa.String(300)),
    sa.Column("channel", sa.String(10)),
    sa.Column("status", sa.String(10)),
    sa.Column("event_id", sa.Uuid()),
    sa.Column("event_type", sa.String(200)),
    sa.Column("severity", sa.String(10)),
    sa.Column("recipient_kind", sa.String(10)),
    sa.Column("recipient_id", sa.Uuid()),
    sa.Column("address", sa.String(2000)),
    sa.Column("template", sa.String(60)),
    sa.Column("locale", sa.String(10)),
    sa.Column("subject", sa.String(300)),
    sa.Column("text_body", sa.Text()),
    sa.Column("html_body", sa.Text()),
    sa.Column("attachment_name", sa.String(200)),
    sa.Column("attachment", sa.LargeBinary()),
    sa.Column("digest", sa.Boolean()),
    sa.Column("attempts", sa.Integer()),
    sa.Column("next_attempt_at", TIME),
    sa.Column("created_at", TIME),
    sa.Column("last_attempt_at", TIME),
    sa.Column("sent_at", TIME),
    sa.Column("last_error", sa.Text()),
)


def _report_key(recipient_id: Any, period: str, start: Any) -> str:
    return f"scorecard:{recipient_id}:{period}:{start}"


def upgrade() -> None:
    op.add_column("preferences", sa.Column("reports", JSONB_OR_JSON, nullable=True))
    op.add_column("deliveries", sa.Column("attachment_name", sa.String(200), nullable=True))
    op.add_column("deliveries", sa.Column("attachment", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    _staff_up(bind)
    _preferences_up(bind)
    _reports_up(bind)
    op.drop_table("sc_staff")
    op.drop_table("sc_report_preferences")
    with op.batch_alter_table("sc_reports", schema=None) as batch:
        batch.drop_index("ix_sc_reports_status")
    op.drop_table("sc_reports")


def _staff_up(bind: Any) -> None:
    """A staff member only the scorecard knew joins the replica; a locale only it knew joins
    ``locales``."""
    known = set(bind.scalars(sa.select(staff_replica.c.id)))
    with_locale = set(bind.scalars(sa.select(locales.c.subject_id)))
    for row in bind.execute(sa.select(sc_staff)).mappings():
        if row["id"] not in known:
            values = {c.name: row[c.name] for c in staff_replica.columns}
            bind.execute(staff_replica.insert().values(**values))
        if row["locale"] and row["id"] not in with_locale:
            bind.execute(
                locales.insert().values(subject_id=row["id"], kind="staff", locale=row["locale"])
            )


def _preferences_up(bind: Any) -> None:
    chosen: dict[Any, dict[str, bool]] = defaultdict(dict)
    updated: dict[Any, Any] = {}
    for row in bind.execute(sa.select(sc_report_preferences)).mappings():
        chosen[row["staff_id"]][row["period"]] = bool(row["enabled"])
        updated[row["staff_id"]] = max(
            updated.get(row["staff_id"], row["updated_at"]), row["updated_at"]
        )
    existing = set(bind.scalars(sa.select(preferences.c.staff_id)))
    for staff_id, reports in chosen.items():
        if staff_id in existing:
            bind.execute(
                preferences.update()
                .where(preferences.c.staff_id == staff_id)
                .values(reports=reports)
            )
        else:
            bind.execute(
                preferences.insert().values(
                    staff_id=staff_id,
                    channels=DEFAULT_CHANNELS,
                    quiet_hours=None,
                    digest=None,
                    reports=reports,
                    updated_at=updated[staff_id],
                )
            )


def _reports_up(bind: Any) -> None:
    for row in bind.execute(sa.select(sc_reports)).mappings():
        tried = row["attempts"] > 0
        bind.execute(
            deliveries.insert().values(
                id=row["id"],
                key=_report_key(row["recipient_id"], row["period"], row["period_start"]),
                channel="email",
                status=row["status"],
                event_id=row["id"],
                event_type=REPORT_EVENT_TYPE,
                severity="info",
                recipient_kind="staff",
                recipient_id=row["recipient_id"],
                address=row["email"],
                template=REPORT_TEMPLATE,
                locale=row["locale"],
                subject=row["subject"],
                text_body=REPORT_PLAIN,
                html_body=row["html"],
                attachment_name=row["attachment_name"],
                attachment=row["attachment"],
                digest=False,
                attempts=row["attempts"],
                next_attempt_at=row["created_at"] if row["status"] == "pending" else None,
                created_at=row["created_at"],
                last_attempt_at=row["sent_at"] if tried else None,
                sent_at=row["sent_at"],
                last_error=row["last_error"],
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    for table in (sc_staff, sc_report_preferences, sc_reports):
        table.create(bind)
    query = sa.select(staff_replica, locales.c.locale).outerjoin(
        locales, locales.c.subject_id == staff_replica.c.id
    )
    for row in bind.execute(query).mappings():
        bind.execute(sc_staff.insert().values(**{c.name: row[c.name] for c in sc_staff.columns}))
    query = sa.select(preferences.c.staff_id, preferences.c.reports, preferences.c.updated_at)
    for staff_id, reports, updated_at in bind.execute(query):
        for period, enabled in (reports or {}).items():
            bind.execute(
                sc_report_preferences.insert().values(
                    staff_id=staff_id, period=period, enabled=enabled, updated_at=updated_at
                )
            )
    query = sa.select(deliveries).where(deliveries.c.template == REPORT_TEMPLATE)
    for row in bind.execute(query).mappings():
        _, _, period, start = row["key"].split(":", 3)
        bind.execute(
            sc_reports.insert().values(
                id=row["id"],
                recipient_id=row["recipient_id"],
                period=period,
                period_start=date.fromisoformat(start),
                email=row["address"],
                locale=row["locale"],
                subject=row["subject"],
                html=row["html_body"],
                attachment_name=row["attachment_name"],
                attachment=row["attachment"],
                status=row["status"] if row["status"] in ("pending", "sent") else "failed",
                attempts=row["attempts"],
                last_error=row["last_error"],
                created_at=row["created_at"],
                sent_at=row["sent_at"],
            )
        )
    bind.execute(deliveries.delete().where(deliveries.c.template == REPORT_TEMPLATE))
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.drop_column("attachment")
        batch.drop_column("attachment_name")
    with op.batch_alter_table("preferences", schema=None) as batch:
        batch.drop_column("reports")
