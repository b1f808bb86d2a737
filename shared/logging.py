"""JSON logs, one object a line, each carrying the request id of the HTTP request it serves,
and the ``service`` / ``event_id`` / ``event_type`` of the work it belongs to (a service's
relay, consumer and scheduler tasks; the event a consumer is applying) — set with
:func:`log_fields`, or per line with ``extra=``."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import loggable_path, unexpected_error
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.tracing import current_trace_id, finish_server_span, server_span

log = logging.getLogger("orbit.http")

request_id_var: ContextVar[str | None] = ContextVar("orbit_request_id", default=None)
_fields_var: ContextVar[Mapping[str, str] | None] = ContextVar("orbit_log_fields", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
CONTEXT_FIELDS = ("service", "event_id", "event_type")


@contextmanager
def log_fields(**fields: object) -> Iterator[None]:
    """Put ``fields`` (of CONTEXT_FIELDS) on every log line written inside the block, by this
    task and the tasks it starts."""
    unknown = set(fields) - set(CONTEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown log fields: {sorted(unknown)}")
    merged = {
        **(_fields_var.get() or {}),
        **{k: str(v) for k, v in fields.items() if v is not None},
    }
    token = _fields_var.set(merged)
    try:
        yield
    finally:
        _fields_var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        context = _fields_var.get() or {}
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)  # extra= of the line wins over the context
            if value is None:
                value = context.get(key)
            if value is not None:
                entry[key] = str(value)
        trace_id = current_trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(JsonFormatter):
    """Readable lines for a person at a terminal: time, level, logger, message, then the
    context fields (``ORBIT_LOG_FORMAT=text``, or ``auto`` on a terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = json.loads(super().format(record))
        ts = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        context = " ".join(
            f"{k}={entry[k]}"
            for k in ("service", "event_type", "request_id", "trace_id")
            if k in entry
        )
        line = f"{ts} {entry['level'].upper():<7} {entry['logger']:<16} {entry['msg']}"
        if context:
            line += f"  [{context}]"
        if "exc" in entry:
            line += "\n" + entry["exc"]
        return line


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Logs on stderr: JSON lines, or readable text lines when ``fmt`` is ``text``, or
    ``auto`` and stderr is a terminal (``ORBIT_LOG_FORMAT``)."""
    handler = logging.StreamHandler()
    text = fmt == "text" or (fmt == "auto" and sys.stderr.isatty())
    handler.setFormatter(TextFormatter() if text else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.getLogger("uvicorn.access").disabled = True


class RequestContextMiddleware:
    """Takes or makes ``X-Request-ID``, logs one line per request, counts requests.

    A plain ASGI middleware (no ``BaseHTTPMiddleware``: responses stream through untouched).
    It also answers the 500 of an exception nothing else handled, inside the request's
    context: the error is logged once, with the request id, the response carries
    ``X-Request-ID``, and the exception does not reach the server (which would log its
    traceback a second time).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if 0 < len(incoming) <= 100 else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        method = scope.get("method", "")
        with server_span(method, Headers(scope=scope)) as span:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                path = loggable_path(scope)
                if response_started:
                    # Too late for a 500: the server closes the connection. Logged here, once.
                    log.error(
                        "error after the response started on %s %s", method, path, exc_info=exc
                    )
                else:
                    await unexpected_error(exc, method, path)(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = scope.get("route")
                route_path = getattr(route, "path", "unmatched")
                HTTP_REQUESTS.labels(method, route_path, str(status)).inc()
                HTTP_LATENCY.labels(method, route_path).observe(elapsed)
                finish_server_span(span, route_path, status)
                log.info("%s %s %s %.1fms", method, loggable_path(scope), status, elapsed * 1000)
                request_id_var.reset(token)
