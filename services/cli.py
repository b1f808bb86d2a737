"""The ``orbit`` command: run, serve, migrate, token."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence

from shared.auth import Role, issue_token
from shared.logging import configure_logging
from shared.migrations import migrate
from shared.settings import SERVICES, OrbitSettings


def _serve(app: object, host: str, port: int, settings: OrbitSettings) -> None:
    import uvicorn

    configure_logging(settings.log_level)
    uvicorn.run(app, host=host, port=port, log_config=None, lifespan="on")  # type: ignore[arg-type]


def cmd_run(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import create_embedded_app

    _serve(create_embedded_app(settings), args.host, args.port, settings)
    return 0


def cmd_serve(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import create_service_app

    _serve(create_service_app(args.service, settings), args.host, args.port, settings)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: OrbitSettings) -> int:
    from services.embedded import SPECS

    configure_logging(settings.log_level)
    names = list(SERVICES) if args.service == "all" else [args.service]
    for name in names:
        url = settings.database_url_for(name)
        asyncio.run(migrate(SPECS[name].migrations, url))
        print(f"migrated {name}")
    return 0


def cmd_token(args: argparse.Namespace, settings: OrbitSettings) -> int:
    print(issue_token(settings.jwt_secret, args.sub, args.role, args.ttl))
    return 0


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
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="upgrade a service's database (or all) to head")
    mig.add_argument("service", choices=[*SERVICES, "all"])
    mig.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="print a dev token signed with ORBIT_JWT_SECRET")
    token.add_argument("--sub", type=uuid.UUID, required=True)
    token.add_argument("--role", choices=[r.value for r in Role], required=True)
    token.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")
    token.set_defaults(func=cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = OrbitSettings()
    except ValueError as exc:
        print(f"orbit: invalid configuration: {exc}", file=sys.stderr)
        return 2
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
