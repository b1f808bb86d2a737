"""The clients service is wired from the settings handed to its composition root: every
path (its own create_app, `orbit serve` and `orbit run` through services/embedded.py) binds
the birthday job to those settings; nothing reads the environment later."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services import embedded
from services.billing import app as billing_app
from services.billing.settings import BillingSettings
from services.clients import app as clients_app
from services.clients.settings import ClientsSettings
from services.clients.workers import BirthdayJob
from services.interactions import app as interactions_app
from services.notifications import app as notifications_app
from shared.retention import RetentionRule
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings
from tests.support.apps import ADMIN, running, runtime_of, test_settings


def clients_settings(tmp_path: Path, **values: object) -> ClientsSettings:
    return ClientsSettings(**test_settings(data_dir=tmp_path).model_dump() | values)


def birthday_days(app: object, service: str = "clients") -> int:
    job = runtime_of(app, service).scheduler.jobs["birthdays"]  # type: ignore[arg-type]
    assert isinstance(job, BirthdayJob)
    return job.notice_days


@pytest.mark.parametrize("path", ["create_app", "serve", "run"])
async def test_every_path_binds_the_job_to_the_settings_passed_in(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS", "3")  # must not win over the settings
    settings = clients_settings(tmp_path, clients_birthday_notice_days=11)
    if path == "create_app":
        app = clients_app.create_app(settings, migrate_on_start=True)
    elif path == "serve":
        app = embedded.standalone_app("clients", settings, migrate_on_start=True)
    else:
        app = embedded.embedded_app(settings)
    async with running(app):
        assert birthday_days(app) == 11
        assert runtime_of(app, "clients").settings is settings  # the API sees the same


@pytest.mark.parametrize("path", ["serve", "run"])
async def test_shared_settings_get_the_clients_knobs_once_at_start(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS", "5")
    shared = test_settings(data_dir=tmp_path)
    if path == "serve":
        app = embedded.standalone_app("clients", shared, migrate_on_start=True)
    else:
        app = embedded.embedded_app(shared)
    monkeypatch.setenv("ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS", "9")  # too late: read at start-up
    async with running(app):
        assert birthday_days(app) == 5
        settings = runtime_of(app, "clients").settings
        assert isinstance(settings, ClientsSettings) and settings.clients_birthday_notice_days == 5


def test_the_jobs_are_built_from_the_settings() -> None:
    assert clients_app.SPEC.settings_cls is ClientsSettings
    assert clients_app.SPEC.jobs is not None
    job = clients_app.SPEC.jobs(ClientsSettings(clients_birthday_notice_days=2))["birthdays"]
    assert isinstance(job, BirthdayJob) and job.notice_days == 2
    with pytest.raises(TypeError):
        BirthdayJob()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "spec", [clients_app.SPEC, interactions_app.SPEC, billing_app.SPEC, notifications_app.SPEC]
)
def test_audit_rows_are_kept_years_where_the_outbox_keeps_days(spec: ServiceSpec) -> None:
    """Each service keeping an audit trail (docs/architecture.md, "Audit trail")."""
    assert spec.retention is not None

    def audit_rule(settings: OrbitSettings) -> RetentionRule:
        assert spec.retention is not None
        (rule,) = [r for r in spec.retention(settings) if r.table.name == "audit_log"]
        return rule

    assert audit_rule(spec.settings_cls()).max_age.days == 3650
    assert audit_rule(spec.settings_cls(retention_audit_days=30)).max_age.days == 30


def test_load_settings_validates_each_service_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(embedded.load_settings("clients"), ClientsSettings)
    assert isinstance(embedded.load_settings("billing"), BillingSettings)
    given = ClientsSettings(clients_birthday_notice_days=1)
    assert embedded.load_settings("clients", given) is given

    monkeypatch.setenv(
        "ORBIT_CLIENTS_SLA_DEFAULTS",
        '{"key": {"first_response_minutes": 999, '
        '"contact_cadence_days": 3, "meeting_report_hours": 24}, "standard": '
        '{"first_response_minutes": 240, "contact_cadence_days": 7, '
        '"meeting_report_hours": 48}, "small": {"first_response_minutes": 480, '
        '"contact_cadence_days": 14, "meeting_report_hours": 72}}',
    )
    for load in (
        lambda: embedded.load_settings("clients"),
        lambda: embedded.load_settings("clients", OrbitSettings()),
        lambda: embedded.embedded_app(OrbitSettings()),
        lambda: embedded.standalone_app("clients", OrbitSettings()),
    ):
        with pytest.raises(ValidationError, match=r"key\.first_response_minutes"):
            load()
    monkeypatch.setenv("ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS", "99")
    with pytest.raises(ValueError, match="ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS"):
        embedded.load_settings("clients")


def test_lists_default_to_the_shared_page_size() -> None:
    from shared.pagination import DEFAULT_LIMIT

    paths = clients_app.create_app(ClientsSettings()).openapi()["paths"]
    defaults = {
        path: parameter["schema"].get("default")
        for path, item in paths.items()
        for parameter in item.get("get", {}).get("parameters", [])
        if parameter["name"] == "limit"
    }
    assert len(defaults) == 8 and set(defaults.values()) == {DEFAULT_LIMIT}, defaults


async def test_a_method_the_path_lacks_is_405_naming_the_allowed_ones(tmp_path: Path) -> None:
    app = clients_app.create_app(clients_settings(tmp_path), migrate_on_start=True)
    async with running(app) as http:
        response = await http.delete("/api/v1/clients", headers=ADMIN)
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["status"] == 405
