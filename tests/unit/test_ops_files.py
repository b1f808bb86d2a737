"""The operations files against the code: the Grafana dashboard only queries metrics Orbit
exports; compose has Mailpit wired to ORBIT_SMTP_URL, the Kafka UI and monitoring behind
profiles, rotated logs and start_interval on every health check; Prometheus scrapes every
service."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from shared.metrics import render
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "docker-compose.yml").read_text()))


def exported_metrics() -> set[str]:
    names = set()
    for line in render()[0].decode().splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            if kind == "counter":
                names.add(name if name.endswith("_total") else f"{name}_total")
            if kind == "gauge" and name.endswith("_info"):
                names.add(name)
    return names


def test_the_dashboard_queries_only_exported_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/orbit.json").read_text())
    exported = exported_metrics()
    queried = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            queried |= set(re.findall(r"\b(orbit_[a-z_]+)\b", target["expr"]))
    assert queried, "the dashboard queries nothing"
    assert queried <= exported, queried - exported
    for wanted in (
        "orbit_http_request_duration_seconds_bucket",
        "orbit_outbox_oldest_unsent_age_seconds",
        "orbit_consumer_lag",
        "orbit_scheduler_runs_total",
        "orbit_alerts_emitted_total",
        "orbit_build_info",
    ):
        assert wanted in queried, wanted


def test_compose_mailpit_profiles_logs_and_health_checks() -> None:
    services = compose()["services"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert any(p.endswith(":8025") for p in services["mailpit"]["ports"])
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["ORBIT_SMTP_URL"] == "${ORBIT_SMTP_URL:-smtp://mailpit:1025}"
        assert "ORBIT_CORS_ORIGINS" in env and "OTEL_EXPORTER_OTLP_ENDPOINT" in env
    assert services["kafka-ui"]["profiles"] == ["kafka-ui"]
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]
    for name, service in services.items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"] and logging["options"]["max-file"], name
        check = service.get("healthcheck")
        if check and not check.get("disable"):
            assert "start_interval" in check, f"{name}: no start_interval"


def test_prometheus_scrapes_every_service() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    (sd,) = job["dns_sd_configs"]
    assert sorted(sd["names"]) == sorted(SERVICES) and sd["port"] == 8000
    assert job["metrics_path"] == "/metrics"


async def test_cors_origins_answer_a_browser_preflight() -> None:
    import httpx

    from services.embedded import standalone_app
    from tests.support.apps import test_settings

    app = standalone_app(
        "clients", test_settings(cors_origins="https://app.example.com, http://localhost:5173")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        preflight = await http.options(
            "/api/v1/clients",
            headers={
                "Origin": "http://localhost:5173",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,idempotency-key",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
        other = await http.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    plain = standalone_app("clients", test_settings())
    transport = httpx.ASGITransport(app=plain)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/healthz", headers={"Origin": "http://localhost:5173"})
        assert "access-control-allow-origin" not in response.headers
