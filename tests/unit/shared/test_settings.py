import logging

import pytest

from shared.settings import DEV_JWT_SECRET, OrbitSettings, deprecated_variables, renamed


def test_database_url_per_service(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("ORBIT_DATABASE_URL", raising=False)
    settings = OrbitSettings(data_dir=tmp_path)
    assert settings.database_url_for("billing") == f"sqlite+aiosqlite:///{tmp_path}/billing.db"
    templated = OrbitSettings(
        database_url="postgresql+asyncpg://u@h/orbit_{service}",
        clients_database_url="postgresql+asyncpg://u@h/other",
    )
    assert templated.database_url_for("billing") == "postgresql+asyncpg://u@h/orbit_billing"
    assert templated.database_url_for("clients") == "postgresql+asyncpg://u@h/other"


def test_environment_is_read_with_orbit_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORBIT_SCHEDULER_INTERVAL_SECONDS", "1")
    monkeypatch.setenv("ORBIT_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    settings = OrbitSettings()
    assert settings.scheduler_interval_seconds == 1
    assert settings.kafka_bootstrap == "127.0.0.1:9092"


def test_dev_secret_is_refused_in_production() -> None:
    with pytest.raises(ValueError):
        OrbitSettings(env="prod", jwt_secret=DEV_JWT_SECRET)
    assert OrbitSettings(env="prod", jwt_secret="a-real-secret-of-enough-length").env == "prod"
    assert OrbitSettings(env="prod", jwks_url="http://127.0.0.1/jwks").jwks_url


class Probe(OrbitSettings):
    model_config = renamed("probe", "knob")

    probe_knob: int = 1
    probe_new: int = 2


def test_a_renamed_knob_reads_its_old_variable_deprecated(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ORBIT_KNOB", "5")
    monkeypatch.setenv("ORBIT_NEW", "7")  # never a name of probe_new: it was not renamed
    with caplog.at_level(logging.WARNING, logger="orbit.settings"):
        settings = Probe()
    assert (settings.probe_knob, settings.probe_new) == (5, 2)
    assert "ORBIT_KNOB is deprecated: set ORBIT_PROBE_KNOB instead" in caplog.text
    assert deprecated_variables(Probe) == {"ORBIT_KNOB": "ORBIT_PROBE_KNOB"}
    monkeypatch.setenv("ORBIT_PROBE_KNOB", "6")  # the new name wins
    assert Probe().probe_knob == 6
    assert Probe(probe_knob=9).probe_knob == 9  # code gives it by its field name
    monkeypatch.delenv("ORBIT_KNOB")
    assert deprecated_variables(Probe) == {}


# Knobs of a service's settings without its name: the platform's SMTP settings, the
# documents' store (ORBIT_FILES_..., CONTRACT's names).
UNPREFIXED = {"notifications": ("smtp_",), "clients": ("files_",)}


def test_every_service_knob_carries_its_service_name() -> None:
    from services.embedded import SPECS

    shared = set(OrbitSettings.model_fields)
    bad = [
        f"{name}: {field}"
        for name, spec in SPECS.items()
        for field in set(spec.settings_cls.model_fields) - shared
        if not field.startswith((f"{name}_", *UNPREFIXED.get(name, ())))
    ]
    assert not bad
