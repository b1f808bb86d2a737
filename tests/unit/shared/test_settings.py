import pytest

from shared.settings import DEV_JWT_SECRET, OrbitSettings


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
