"""OpenTelemetry tracing, optional: on when the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` is
set and the ``otel`` extra is installed (``pip install 'orbit[otel]'``), off and free
otherwise (every function here is then a no-op that touches no OpenTelemetry code).

One trace runs HTTP request -> outbox -> Kafka -> consumer: the request's server span
(:class:`shared.logging.RequestContextMiddleware`) is current while a use case emits, so
``UnitOfWork.emit`` stores its W3C ``traceparent`` (:func:`current_traceparent`) in the
outbox row; the relay copies it to the Kafka record's ``traceparent`` header; the consumer
applies the event inside a span continuing it (:func:`consumer_span`), so the events and
deliveries a subscriber writes carry the same trace; a worker sending a delivery later does
it in a span continuing the delivery's stored ``traceparent`` (:func:`send_span`), so the
trace runs on to the email or webhook. Log lines carry ``trace_id`` (:func:`current_trace_id`,
:func:`continuing`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

log = logging.getLogger("orbit.tracing")

TRACEPARENT = "traceparent"
_tracer: Any = None  # an opentelemetry Tracer while tracing is on


def enabled() -> bool:
    return _tracer is not None


def configure_tracing(service_name: str, provider: Any = None) -> bool:
    """Turn tracing on for this process (once; later calls keep the first provider).

    ``provider``: a TracerProvider to use (the tests' in-memory exporter); else one exporting
    over OTLP/HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (read by the exporter with the other
    standard ``OTEL_*`` variables), only when that variable is set. Returns whether tracing
    is on."""
    global _tracer
    if provider is None:
        if _tracer is not None:
            return True
        if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            return False
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            log.warning(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not installed "
                "(pip install 'orbit[otel]'): tracing stays off"
            )
            return False
        resource = Resource.create(
            {"service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name}
        )
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        log.info("tracing on: OTLP to %s", os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    _tracer = provider.get_tracer("orbit")
    return True


def disable_tracing() -> None:
    """Tracing off again (tests)."""
    global _tracer
    _tracer = None


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, or None (tracing off, or no span)."""
    if _tracer is None:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get(TRACEPARENT)


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits), or None."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def _context_of(traceparent: str | None) -> Any:
    if not traceparent:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract({TRACEPARENT: traceparent})


@contextlib.contextmanager
def server_span(method: str, headers: Mapping[str, str]) -> Iterator[Any]:
    """The server span of one HTTP request, continuing the caller's ``traceparent``; yields
    the span (None when tracing is off) for the route and status to be set on it."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    with _tracer.start_as_current_span(
        method,
        context=_context_of(headers.get(TRACEPARENT)),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": method},
    ) as span:
        yield span


def finish_server_span(span: Any, route: str, status: int) -> None:
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    method = span.attributes.get("http.request.method", "") if span.attributes else ""
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


@contextlib.contextmanager
def consumer_span(
    service: str, event_type: str, event_id: str, topic: str, headers: Sequence[tuple[str, bytes]]
) -> Iterator[None]:
    """A consumer applying an event: a span continuing the record's ``traceparent``."""
    if _tracer is None:
        yield
        return
    from opentelemetry.trace import SpanKind

    traceparent = next(
        (v.decode(errors="replace") for k, v in headers if k.lower() == TRACEPARENT), None
    )
    with _tracer.start_as_current_span(
        f"{event_type} process",
        context=_context_of(traceparent),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.message.id": event_id,
            "messaging.consumer.group.name": f"orbit.{service}",
        },
    ):
        yield


@contextlib.contextmanager
def send_span(
    name: str, traceparents: Sequence[str | None], attributes: Mapping[str, Any]
) -> Iterator[Any]:
    """A worker sending something written earlier under ``traceparents`` (a delivery's email
    or webhook): a client span, current while sending, the child of the first context and
    linked to the others (a digest bundles several deliveries); a root span when there is
    none. Yields the span (None when tracing is off) for :func:`finish_send_span`."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import trace
    from opentelemetry.context import Context
    from opentelemetry.trace import Link, SpanKind

    contexts = [_context_of(t) for t in traceparents if t]
    parent = contexts[0] if contexts else Context()
    links = [Link(trace.get_current_span(c).get_span_context()) for c in contexts[1:]]
    with _tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.CLIENT,
        links=links,
        attributes={k: v for k, v in attributes.items() if v is not None},
    ) as span:
        yield span


def finish_send_span(
    span: Any, outcome: str, ok: bool, attributes: Mapping[str, Any] | None = None
) -> None:
    """What a send came to: ``orbit.delivery.outcome`` (and ``error.type`` and an error
    status when it failed), and ``attributes`` (a response code)."""
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    for key, value in (attributes or {}).items():
        if value is not None:
            span.set_attribute(key, value)
    span.set_attribute("orbit.delivery.outcome", outcome)
    if not ok:
        span.set_attribute("error.type", outcome)
        span.set_status(Status(StatusCode.ERROR))


@contextlib.contextmanager
def continuing(traceparent: str | None) -> Iterator[None]:
    """The trace of ``traceparent`` current without a span of its own: what is logged (its
    ``trace_id``) or emitted meanwhile belongs to it."""
    if _tracer is None or not traceparent:
        yield
        return
    from opentelemetry import context

    token = context.attach(_context_of(traceparent))
    try:
        yield
    finally:
        context.detach(token)
