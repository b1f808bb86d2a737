"""Prometheus metrics of the platform (one process-wide registry, labelled by service)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

EVENTS_PROCESSED = Counter(
    "orbit_events_processed_total", "Events applied by a consumer", ["service", "event_type"]
)
EVENTS_DUPLICATE = Counter(
    "orbit_events_duplicate_total", "Redelivered events skipped by the inbox", ["service"]
)
EVENTS_RETRIED = Counter(
    "orbit_events_retried_total", "Failed event handling attempts that were retried", ["service"]
)
EVENTS_WAITED_FOR_DATABASE = Counter(
    "orbit_events_waited_for_database_total",
    "Waits of a consumer for its unreachable database (not counted as attempts)",
    ["service"],
)
EVENTS_DEAD_LETTERED = Counter(
    "orbit_events_dead_lettered_total", "Events parked in the dead-letter topic", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "orbit_outbox_published_total", "Outbox rows published to the bus", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "orbit_outbox_publish_failures_total", "Failed outbox publish attempts", ["service"]
)
OUTBOX_PENDING = Gauge("orbit_outbox_pending", "Unsent outbox rows at the last scan", ["service"])
HTTP_REQUESTS = Counter("orbit_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram("orbit_http_request_seconds", "HTTP request latency", ["method", "route"])


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
