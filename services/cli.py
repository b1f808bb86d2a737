"""The ``orbit`` command: run, serve, migrate, token, schemas, openapi, dlq, demo, reports
rebuild, timeline rebuild."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from shared.auth import Role, issue_token
from shared.db import is_database_unreachable
from shared.logging import configure_logging
from shared.metrics import MULTIPROCESS_DIR
from shared.migrations import migrate
from shared.scopes import ScopeError, parse_scopes
from shared.settings import MAX_WORKERS, SERVICES, OrbitSettings
from shared.values import STAFF_ROLES


class ConfigurationError(Exception):
    """Settings the environment gives that a service refuses (exit 2, like OrbitSettings)."""


def service_settings(service: str, base: OrbitSettings) -> OrbitSettings:
    """The settings of ``service`` (``base`` plus the service's own knobs, see
    ``services.embedded.load_settings``), validated before anything starts, so a bad knob is a
    configuration error, not a failed start-up."""
    from services.embedded import load_settings

    try:
        return load_settings(service, base)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigurationError(f"{service}: {exc}") from exc


# The service a worker process of ``orbit serve --workers N`` builds (``served_app``): uvicorn's
# supervisor spawns each worker afresh and hands it the app as an import string.
_SERVED_SERVICE = "_ORBIT_SERVED_SERVICE"


class Served:
    """An app as ``orbit serve``/``run`` serve it, in one process or in each worker: once it has
    started, (1) a stop signal tells it a stop began (``shared.lifecycle``) before the server's
    own handler waits for open connections, so event streams end at once instead of at the
    graceful timeout; (2) what start-up built (modules, tables, schemas, routes, pools: ~270,000
    objects, alive as long as the process) is frozen out of the collector's sight, so a full
    collection walks what requests made, not all of that (a pause of 0.1-0.5 s under every
    request in flight, one every ~1,000 requests of a list)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                _stop_signals_begin_shutdown()
                gc.freeze()

        await self.app(scope, receive, sending)


def _stop_signals_begin_shutdown() -> None:
    """Put ``begin_shutdown`` before the handlers the server installed for SIGINT and SIGTERM
    (uvicorn installs its own, with ``signal.signal``, for as long as it serves)."""
    from shared.lifecycle import begin_shutdown

    if threading.current_thread() is not threading.main_thread():
        return  # signals are the main thread's (an app served from a test's thread)
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def stopping(signum: int, frame: Any, previous: Any = previous) -> None:
            begin_shutdown()
            previous(signum, frame)

        signal.signal(sig, stopping)


def _uvicorn_options(settings: OrbitSettings) -> dict[str, Any]:
    return {
        "log_config": None,
        # Orbit logs each request itself, path without query (a stream ticket stays out).
        "access_log": False,
        "lifespan": "on",
        # uvloop and httptools when installed (uvicorn[standard]).
        "loop": "auto",
        "http": "auto",
        # Open connections (e.g. event streams) get ORBIT_SHUTDOWN_TIMEOUT_SECONDS to finish
        # before a stop closes them.
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }


def _serve(app: object, host: str, port: int, settings: OrbitSettings) -> None:
    import uvicorn

    configure_logging(settings.log_level, settings.log_format)
    config = uvicorn.Config(Served(app), host=host, port=port, **_uvicorn_options(settings))
    uvicorn.Server(config).run()


def _serve_workers(service: str, host: str, port: int, settings: OrbitSettings) -> None:
    """``settings.workers`` processes of one service behind one socket, under uvicorn's
    supervisor (it restarts a worker that dies and passes a stop on to every worker). Each
    worker is what a replica is (docs/operations.md, "Scaling"): its own pools, relay, consumers
    and scheduler, the streams of the connections it accepted."""
    import uvicorn

    configure_logging(settings.log_level, settings.log_format)
    os.environ[_SERVED_SERVICE] = service  # the spawned workers inherit it
    given = os.environ.get(MULTIPROCESS_DIR)
    metrics = Path(given) if given else Path(tempfile.mkdtemp(prefix=f"orbit-{service}-"))
    _empty_metrics(metrics)
    os.environ[MULTIPROCESS_DIR] = str(metrics)
    try:
        uvicorn.run(
            f"{__name__}:served_app",
            factory=True,
            host=host,
            port=port,
            workers=settings.workers,
            **_uvicorn_options(settings),
        )
    finally:
        if not given:
            shutil.rmtree(metrics, ignore_errors=True)


def _empty_metrics(path: Path) -> None:
    """The workers' metrics files (``shared.metrics``, ``PROMETHEUS_MULTIPROC_DIR``: the one the
    environment names, else a new temporary directory), emptied first, so a restart starts its
    counters from zero as one process does."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()


def served_app() -> Served:
    """A worker's app (``_serve_workers``): the service its supervisor names, with the settings
    of the environment it inherited (validated by the supervisor before it spawned any)."""
    from services.embedded import standalone_app

    service = os.environ[_SERVED_SERVICE]
    settings = service_settings(service, OrbitSettings())
    configure_logging(settings.log_level, settings.log_format)
    return Served(standalone_app(service, settings))


def cmd_run(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import embedded_app

    for service in SERVICES:
        service_settings(service, settings)
    if settings.workers > 1:
        raise ConfigurationError(
            f"ORBIT_WORKERS={settings.workers}: orbit run is one process (SQLite, the "
            "in-process bus); serve each service with orbit serve for several workers"
        )
    print(run_banner(args.host, args.port), flush=True)
    _serve(embedded_app(settings), args.host, args.port, settings)
    return 0


def run_banner(host: str, port: int) -> str:
    """What ``orbit run`` prints first: where the API and its docs are, how to get a token."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    return "\n".join(
        [
            f"Orbit (all services) on {base}",
            f"  API docs    {base}/docs  (OpenAPI {base}/openapi.json; docs/api.md in the repo)",
            "  a token     TOKEN=$(orbit token --sub 00000000-0000-4000-8000-000000000001 "
            "--role admin)",
            f'  a request   curl -H "Authorization: Bearer $TOKEN" {base}/api/v1/clients',
            f"  demo data   orbit demo --url {base}   (or: make demo)",
        ]
    )


def cmd_serve(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import standalone_app

    own = service_settings(args.service, settings)
    if args.workers is not None:
        own = own.model_copy(update={"workers": args.workers})
    if own.workers > 1:
        if not own.database_url_for(args.service).startswith("postgresql"):
            raise ConfigurationError(
                f"{args.service}: {own.workers} workers share one database: PostgreSQL "
                f"(ORBIT_DATABASE_URL), not SQLite; SQLite is served by one process"
            )
        _serve_workers(args.service, args.host, args.port, own)
    else:
        _serve(standalone_app(args.service, own), args.host, args.port, own)
    return 0


def _cannot_connect(exc: BaseException) -> bool:
    """The database is unreachable, or refuses the credentials or the database name."""
    if is_database_unreachable(exc):
        return True
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, sa_exc.DBAPIError) and str(state or "").startswith(("28", "3D"))


def cmd_migrate(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import SPECS

    configure_logging(settings.log_level, settings.log_format)
    names = list(SERVICES) if args.service == "all" else [args.service]
    for name in names:
        url = settings.database_url_for(name)
        try:
            asyncio.run(migrate(SPECS[name].migrations, url))
        except Exception as exc:
            if not _cannot_connect(exc):
                raise
            where = make_url(url).render_as_string(hide_password=True)
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            print(
                f"orbit: cannot migrate {name}: cannot use its database {where}: "
                f"{type(exc).__name__}: {reason}",
                file=sys.stderr,
            )
            return 1
        print(f"migrated {name}")
    return 0


def cmd_token(args: argparse.Namespace, settings: OrbitSettings) -> int:
    integration = args.role == Role.INTEGRATION
    if integration != (args.scopes is not None):
        need = "needs --scopes" if integration else "takes no --scopes (an integration's)"
        print(f"orbit token: the role {args.role} {need}", file=sys.stderr)
        return 2
    print(issue_token(settings.jwt_secret, args.sub, args.role, args.ttl, scopes=args.scopes))
    return 0


def workers_argument(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"a number of processes from 1 to {MAX_WORKERS}")
    return workers


def scopes_argument(value: str) -> list[str]:
    """``--scopes clients:read,interactions:write`` (commas or spaces): checked."""
    try:
        return sorted(parse_scopes(value))
    except ScopeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_schemas(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.schemas import breaking_changes, check_schemas, write_schemas

    if args.check:
        return _drift(
            check_schemas(args.root),
            "orbit: event schemas differ from the models: run `make schemas` (a change "
            "that breaks a published vN needs a new vN+1 model instead)",
            "event schemas are up to date",
        )
    breaking = breaking_changes(args.root)
    for problem in breaking:
        print(f"breaking change: {problem}", file=sys.stderr)
    if breaking and not args.allow_breaking:
        print(
            "orbit: refusing to overwrite a published vN with a breaking change: add a vN+1 "
            "model instead (or pass --allow-breaking for a type nobody consumes yet)",
            file=sys.stderr,
        )
        return 1
    return _written(write_schemas(args.root), "event schemas")


def cmd_openapi(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.apidoc import api_docs_drift, write_api_docs

    if args.check:
        return _drift(
            api_docs_drift(args.root),
            "orbit: docs/openapi.json or docs/api.md differ from the code: run "
            "`make openapi` and commit the result",
            "API documents are up to date",
        )
    return _written(write_api_docs(args.root), "API documents")


def _drift(problems: Sequence[str], advice: str, up_to_date: str) -> int:
    """A generated document's check: each difference and the advice on stderr (exit 1), or
    ``up_to_date``."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(advice, file=sys.stderr)
        return 1
    print(up_to_date)
    return 0


def _written(changed: Sequence[object], what: str) -> int:
    for path in changed:
        print(f"updated {path}")
    print(f"{what} written ({len(changed)} changed)")
    return 0


def cmd_dlq(args: argparse.Namespace, settings: OrbitSettings) -> int:
    """``orbit dlq list|show|replay|discard <service>``: the service's dead letters."""
    configure_logging(settings.log_level, settings.log_format)
    own = service_settings(args.service, settings)
    if args.verb in ("replay", "discard") and not args.id and not args.all:
        print(f"orbit: dlq {args.verb} needs --id N (repeatable) or --all", file=sys.stderr)
        return 2
    return asyncio.run(_dlq(args, own))


async def _dlq(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import SPECS
    from shared.messaging import dlq
    from shared.messaging.inprocess import InProcessBus
    from shared.runtime import ServiceRuntime

    # The service's current handlers, on its database; nothing is started (its running
    # relay publishes what a replayed handler emits).
    runtime = ServiceRuntime(SPECS[args.service], settings, InProcessBus())
    try:
        if args.verb == "list":
            rows = await dlq.parked(runtime.sessions, include_resolved=args.all)
            for row in rows:
                state = f"{row.resolution} {row.resolved_at.isoformat()}" if row.resolved_at else ""
                print(
                    f"{row.id}\t{row.failed_at.isoformat()}\t{row.event_type or '-'}\t"
                    f"{row.event_id or '-'}\t{row.topic}[{row.partition}]@{row.offset}\t"
                    f"attempts={row.attempts}\t{state or 'parked'}\t{row.error[:120]}"
                )
            print(f"{len(rows)} dead letter(s) in {args.service}", file=sys.stderr)
            return 0
        if args.verb == "show":
            found = [await dlq.one(runtime.sessions, i) for i in args.id or []]
            if not found or any(f is None for f in found):
                print("orbit: dlq show needs --id N of an existing dead letter", file=sys.stderr)
                return 1
            for row in found:
                print(json.dumps(_dead_letter_json(row), indent=2, default=str))
            return 0
        act = dlq.replay if args.verb == "replay" else dlq.discard
        results = await act(runtime.consumer, None if args.all else list(args.id))
        missing = set(args.id or []) - {r.id for r in results}
        for result in results:
            print(f"{result.id}\t{result.event_id or '-'}\t{result.outcome}\t{result.detail}")
        for dead_letter_id in sorted(missing):
            print(f"{dead_letter_id}\t-\tnot_found", file=sys.stderr)
        bad = missing or any(r.outcome in ("failed", "not_replayable") for r in results)
        return 1 if bad else 0
    finally:
        await runtime.dispose()


def cmd_demo(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.demo import DemoError, fill

    try:
        summary = fill(
            args.url,
            settings.jwt_secret,
            clients=args.clients,
            progress=lambda step: print(f"demo: {step}", file=sys.stderr, flush=True),
        )
    except (DemoError, OSError) as exc:
        print(f"orbit: demo: {exc}", file=sys.stderr)
        return 1
    print(f"Orbit at {args.url} holds the demo portfolio (run again: nothing is added twice):")
    print("\n".join(summary.lines()))
    return 0


def _dead_letter_json(row: object) -> dict[str, object]:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    with contextlib.suppress(ValueError):
        values["payload"] = json.loads(str(values["payload"]))
    return values


def cmd_reports_rebuild(args: argparse.Namespace, settings: OrbitSettings) -> int:
    """Rebuild the scorecard's KPI projection (notifications database) from Kafka."""
    return _rebuild_projection(args, settings, "reports")


def cmd_timeline_rebuild(args: argparse.Namespace, settings: OrbitSettings) -> int:
    """Rebuild the client-at-a-glance projection (notifications database) from Kafka."""
    return _rebuild_projection(args, settings, "timeline")


def cmd_search_rebuild(args: argparse.Namespace, settings: OrbitSettings) -> int:
    """Rebuild search's documents (notifications database) from Kafka."""
    return _rebuild_projection(args, settings, "search")


# The projections of the notifications database rebuilt from Kafka: command -> (what it
# rebuilds, the topics read by default, the command's function).
PROJECTIONS: dict[str, tuple[str, str, Any]] = {
    "reports": (
        "the scorecard's KPI projection",
        "orbit.billing, orbit.clients, orbit.interactions",
        cmd_reports_rebuild,
    ),
    "timeline": (
        "the timelines, summaries and calendars' state",
        "orbit.billing, orbit.clients, orbit.interactions, orbit.notifications",
        cmd_timeline_rebuild,
    ),
    "search": (
        "search's documents",
        "orbit.billing, orbit.clients, orbit.interactions",
        cmd_search_rebuild,
    ),
}


def _projection(command: str) -> tuple[Any, Any]:
    """The subscribers and tables of a projection rebuilt by ``orbit <command> rebuild``."""
    if command == "timeline":
        from services.notifications.handlers.timeline import REBUILD_SUBSCRIBERS
        from services.notifications.store.timeline import TIMELINE_TABLES

        return REBUILD_SUBSCRIBERS, TIMELINE_TABLES
    if command == "search":
        from services.notifications.handlers.search import SEARCH_SUBSCRIBERS
        from services.notifications.store.search import search_documents

        return SEARCH_SUBSCRIBERS, (search_documents,)
    from services.notifications.handlers.scorecard.projection import SCORECARD_SUBSCRIBERS
    from services.notifications.store.scorecard.models import PROJECTION_TABLES

    return SCORECARD_SUBSCRIBERS, PROJECTION_TABLES


def _rebuild_projection(args: argparse.Namespace, settings: OrbitSettings, command: str) -> int:
    from services.notifications.handlers.scorecard.rebuild import rebuild
    from shared.db import create_engine, session_factory
    from shared.uow import UnitOfWorkFactory

    configure_logging(settings.log_level)
    if not settings.kafka_bootstrap:
        print(f"orbit: {command} rebuild reads Kafka: set ORBIT_KAFKA_BOOTSTRAP", file=sys.stderr)
        return 2
    handlers, tables = _projection(command)

    async def run() -> int:
        engine = create_engine(settings.database_url_for("notifications"))
        try:
            result = await rebuild(
                UnitOfWorkFactory(session_factory(engine)),
                str(settings.kafka_bootstrap),
                topics=args.topic or None,
                handlers=handlers,
                tables=tables,
            )
        finally:
            await engine.dispose()
        print(
            f"{PROJECTIONS[command][0]} rebuilt: {result.read} events read, "
            f"{result.applied} applied, {result.failed} failed"
        )
        return 1 if result.failed else 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orbit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="all services in one process (embedded default)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="one service on its own")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=workers_argument,
        help="processes serving this port (default: ORBIT_WORKERS, 1); each is a replica",
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="upgrade a service's database (or all) to head")
    mig.add_argument("service", choices=[*SERVICES, "all"])
    mig.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="print a dev token signed with ORBIT_JWT_SECRET")
    token.add_argument("--sub", type=uuid.UUID, required=True)
    token.add_argument("--role", choices=STAFF_ROLES, required=True)
    token.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")
    token.add_argument(
        "--scopes",
        type=scopes_argument,
        help="an integration's scopes, comma-separated: <service>:<read|write> of "
        f"{', '.join(SERVICES)} (required with --role integration)",
    )
    token.set_defaults(func=cmd_token)

    schemas = sub.add_parser(
        "schemas", help="write docs/events/*.json and docs/asyncapi.yaml from the event models"
    )
    schemas.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list drift and breaking changes, exit 1 if any",
    )
    schemas.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite the published schemas even when the models break them",
    )
    schemas.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
    schemas.set_defaults(func=cmd_schemas)

    openapi = sub.add_parser(
        "openapi", help="write docs/openapi.json (all services) and the reference in docs/api.md"
    )
    openapi.add_argument(
        "--check", action="store_true", help="write nothing; list the drift, exit 1 if any"
    )
    openapi.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
    openapi.set_defaults(func=cmd_openapi)

    dead = sub.add_parser(
        "dlq", help="a service's dead letters: list, show, replay (through its handlers), discard"
    )
    dead.add_argument("verb", choices=["list", "show", "replay", "discard"])
    dead.add_argument("service", choices=SERVICES)
    dead.add_argument("--id", type=int, action="append", help="a dead letter's id (repeatable)")
    dead.add_argument(
        "--all",
        action="store_true",
        help="replay/discard: every parked one; list: the resolved ones too",
    )
    dead.set_defaults(func=cmd_dlq)

    demo = sub.add_parser(
        "demo", help="fill a running Orbit with a realistic portfolio through its API (idempotent)"
    )
    demo.add_argument("--url", default="http://127.0.0.1:8000", help="the running Orbit")
    demo.add_argument("--clients", type=int, default=50, help="how many clients (default 50)")
    demo.set_defaults(func=cmd_demo)

    for name, (what, topics, func) in PROJECTIONS.items():
        group = sub.add_parser(name, help=what)
        rebuild = group.add_subparsers(dest=f"{name}_command", required=True).add_parser(
            "rebuild", help=f"empty {what} and apply the events of the topics from their start"
        )
        rebuild.add_argument(
            "--topic",
            action="append",
            help=f"a topic to read (repeatable; default: {topics})",
        )
        rebuild.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = OrbitSettings()
    except ValueError as exc:
        print(f"orbit: invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = args.func(args, settings)
    except ConfigurationError as exc:
        print(f"orbit: invalid configuration: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
