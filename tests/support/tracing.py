"""Tracing in tests: an in-memory span exporter turned on for a test, and the JSON log lines
written meanwhile (``shared.logging.JsonFormatter``, with their ``trace_id``)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.logging import JsonFormatter
from shared.tracing import configure_tracing, disable_tracing


@contextlib.contextmanager
def in_memory_spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, every finished span kept by the exporter yielded; off again after."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    configure_tracing("orbit-test", provider)
    try:
        yield exporter
    finally:
        disable_tracing()


@contextlib.contextmanager
def json_log_lines() -> Iterator[list[dict[str, Any]]]:
    """The INFO and higher lines of the ``orbit`` loggers, as JSON objects, filled in on exit."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("orbit")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    entries: list[dict[str, Any]] = []
    try:
        yield entries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        entries.extend(json.loads(line) for line in lines.getvalue().splitlines())
