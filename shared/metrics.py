"""Prometheus metrics of the platform (one process-wide registry, labelled by service).

Served by several worker processes (``orbit serve --workers N``), every worker writes its
values to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by the supervisor before it spawns them)
and ``/metrics``, whichever worker answers, reads them all: counters and histograms summed
over the workers, a gauge the value last set by any of them (``mostrecent``)."""

from __future__ import annotations

import importlib.metadata
import os
import platform

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _version() -> str:
    try:
        return importlib.metadata.version("orbit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


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
OUTBOX_PENDING = Gauge(
    "orbit_outbox_pending",
    "Unsent outbox rows at the last scan",
    ["service"],
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_UNSENT_AGE = Gauge(
    "orbit_outbox_oldest_unsent_age_seconds",
    "Age of the oldest unsent outbox row at the last count (0: none)",
    ["service"],
    multiprocess_mode="mostrecent",
)
HTTP_REQUESTS = Counter("orbit_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "orbit_http_request_duration_seconds", "HTTP request duration", ["method", "route"]
)
CONSUMER_LAG = Gauge(
    "orbit_consumer_lag",
    "Records of a partition not yet consumed by the group (high watermark - position)",
    ["group", "topic", "partition"],
    multiprocess_mode="mostrecent",
)
SCHEDULER_RUNS = Counter(
    "orbit_scheduler_runs_total", "Runs of a scheduled job", ["service", "job", "outcome"]
)
ALERTS_EMITTED = Counter(
    "orbit_alerts_emitted_total", "Alerts emitted by a scheduled job", ["service", "job"]
)
RETENTION_DELETED = Counter(
    "orbit_retention_deleted_rows_total", "Rows deleted by the retention job", ["service", "table"]
)
READS_THROUGH = Counter(
    "orbit_replica_reads_through_total",
    "Replica misses read through to the clients service (shared/readthrough.py)",
    ["service", "kind", "outcome"],
)
# An info metric has no multiprocess form: the same in every worker, it is rendered by the one
# that answers, from a registry of its own.
_BUILD = CollectorRegistry()
BUILD_INFO = Info("orbit_build", "The running Orbit: version and Python", registry=_BUILD)
BUILD_INFO.info({"version": _version(), "python": platform.python_version()})


def render() -> tuple[bytes, str]:
    if os.environ.get(MULTIPROCESS_DIR):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        return generate_latest(workers) + generate_latest(_BUILD), CONTENT_TYPE_LATEST
    return generate_latest() + generate_latest(_BUILD), CONTENT_TYPE_LATEST
