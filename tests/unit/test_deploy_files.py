"""The deployment files checked against the code they deploy, without a Docker engine.

- deploy/docker-compose.yml: every ORBIT_ variable is a field of the settings class that reads
  it; each service runs ``orbit serve <name>`` after the one-shot ``orbit migrate all``; the
  settings each container would load point at the databases the init script creates and at
  the Kafka broker's advertised listener.
- deploy/gateway/nginx.conf: every location (each branch of a regex's alternation) reaches a
  service that serves a path there, so a route that disappears fails it; and every route of
  every service (from the real FastAPI apps, no server started) reaches its owner.
- deploy/Dockerfile: ENTRYPOINT is the ``orbit`` console script of pyproject.toml, CMD is a
  command that ``orbit`` accepts; the image runs with ORBIT_ENV=prod, so it refuses the dev
  JWT secret unless given a real one.

``docker compose config`` runs too, where docker compose is installed.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from argparse import Namespace
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from services import cli
from services.embedded import SPECS, standalone_app
from shared.settings import SERVICES, OrbitSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
NGINX_CONF = DEPLOY / "gateway" / "nginx.conf"
PYPROJECT = ROOT / "pyproject.toml"

SAMPLE_ID = "00000000-0000-4000-8000-000000000000"
# Values for the variables the compose file requires from the operator.
OPERATOR_VALUES = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "ORBIT_JWT_SECRET": "compose-test-secret-0123456789abcdef-0123456789",
    "ORBIT_FILES_SECRET_KEY": "compose-test-files-secret-0123456789",
}
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)
ORBIT_REFERENCE = re.compile(r"(?<!\$)\$\{?(ORBIT_[A-Z0-9_]+)")


# --- settings ---------------------------------------------------------------------------------


def settings_classes() -> dict[str, type[OrbitSettings]]:
    """The settings class each service reads (a service may add knobs to OrbitSettings)."""
    return {name: SPECS[name].settings_cls for name in SERVICES}


def env_names(cls: type[OrbitSettings]) -> set[str]:
    """The environment variables a settings class reads: ``<env_prefix><FIELD>``."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names = set()
    for name, info in cls.model_fields.items():
        alias = info.validation_alias or info.alias
        names.add((alias if isinstance(alias, str) else f"{prefix}{name}").upper())
    return names


def all_env_names() -> set[str]:
    names = env_names(OrbitSettings)
    for cls in settings_classes().values():
        names |= env_names(cls)
    return names


# --- compose ----------------------------------------------------------------------------------


@functools.cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict)
    return loaded


def containers() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    return services


def environment(container: dict[str, Any]) -> dict[str, str | None]:
    """A container's ``environment`` (map or list form); None: passed through from the shell."""
    raw = container.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else [item, None] for item in raw)
        return {k: v for k, v in pairs}
    return {k: None if v is None else str(v) for k, v in raw.items()}


def interpolate(value: str) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``, with the operator's values
    of OPERATOR_VALUES and nothing else from this machine's environment."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.group("name", "op", "arg")
        if name in OPERATOR_VALUES:
            return OPERATOR_VALUES[name]
        if op in (":-", "-"):
            return arg or ""
        raise AssertionError(f"compose requires ${{{name}}}; add it to OPERATOR_VALUES")

    return INTERPOLATION.sub(substitute, value).replace("$$", "$")


def command_of(container: dict[str, Any]) -> list[str]:
    command = container.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def orbit_image_containers() -> dict[str, dict[str, Any]]:
    """Containers running the image built from deploy/Dockerfile."""
    images = set()
    for container in containers().values():
        build = container.get("build")
        if isinstance(build, dict):
            context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
            if (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE:
                images.add(container.get("image"))
    assert images, "no container is built from deploy/Dockerfile"
    return {n: c for n, c in containers().items() if c.get("image") in images}


def orbit_args(container: dict[str, Any]) -> Namespace:
    """The container's command as the ``orbit`` command parses it (the image's ENTRYPOINT)."""
    return cli.build_parser().parse_args(command_of(container))


def serving(service: str) -> tuple[str, dict[str, Any], Namespace]:
    found = []
    for name, container in orbit_image_containers().items():
        args = orbit_args(container)
        if args.func is cli.cmd_serve and args.service == service:
            found.append((name, container, args))
    assert len(found) == 1, f"want one container running `orbit serve {service}`: {found}"
    return found[0]


def migrating() -> tuple[str, dict[str, Any], Namespace]:
    found = []
    for name, container in orbit_image_containers().items():
        args = orbit_args(container)
        if args.func is cli.cmd_migrate:
            found.append((name, container, args))
    assert len(found) == 1, f"want one container running `orbit migrate`: {found}"
    return found[0]


def depends_on(container: dict[str, Any]) -> dict[str, str]:
    raw = container.get("depends_on") or {}
    if isinstance(raw, list):
        return {name: "service_started" for name in raw}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in raw.items()}


def load_settings(
    monkeypatch: pytest.MonkeyPatch, container: dict[str, Any], cls: type[OrbitSettings]
) -> OrbitSettings:
    """The settings ``cls`` reads inside ``container`` (pass-through variables left unset)."""
    for name in list(os.environ):
        if name.upper().startswith("ORBIT_"):
            monkeypatch.delenv(name)
    for name, value in environment(container).items():
        if value is not None:
            monkeypatch.setenv(name, interpolate(value))
    return cls()


def init_script_databases() -> set[str]:
    """Databases created by the init script mounted into the postgres container."""
    names: set[str] = set()
    for container in containers().values():
        for volume in container.get("volumes") or []:
            source, _, target = str(volume).partition(":")
            if target.startswith("/docker-entrypoint-initdb.d/"):
                script = (COMPOSE_FILE.parent / source).resolve()
                assert script.is_file(), f"init script {script} is missing"
                names |= set(re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", script.read_text(), re.I))
    return names


# --- the compose file -------------------------------------------------------------------------


def test_settings_read_orbit_variables_including_one_database_url_per_service() -> None:
    classes: list[type[OrbitSettings]] = [OrbitSettings, *settings_classes().values()]
    for cls in classes:
        assert cls.model_config.get("env_prefix") == "ORBIT_", cls
    names = env_names(OrbitSettings)
    for service in SERVICES:
        assert f"ORBIT_{service.upper()}_DATABASE_URL" in names


def test_every_orbit_variable_in_compose_and_dockerfile_is_a_setting() -> None:
    unknown: list[str] = []
    for name, container in containers().items():
        allowed = env_names(OrbitSettings)
        if name in orbit_image_containers():
            args = orbit_args(container)
            if args.func is cli.cmd_serve:
                allowed = env_names(settings_classes()[args.service])
        unknown += [
            f"{name}: {var}"
            for var in environment(container)
            if var.upper().startswith("ORBIT_") and var.upper() not in allowed
        ]
    known = all_env_names()
    unknown += [
        f"compose interpolation: {v}"
        for v in ORBIT_REFERENCE.findall(COMPOSE_FILE.read_text())
        if v not in known
    ]
    unknown += [
        f"Dockerfile ENV: {var}"
        for var in dockerfile_env()
        if var.startswith("ORBIT_") and var not in known
    ]
    assert not unknown, f"not settings of shared/settings.py (or a service's own): {unknown}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_orbit_serve_after_the_migrations(service: str) -> None:
    name, container, args = serving(service)
    assert args.host == "0.0.0.0", f"{name} must listen on all interfaces, not {args.host}"
    needs = depends_on(container)
    migrate_name = migrating()[0]
    assert needs.get(migrate_name) == "service_completed_successfully", needs
    health = container.get("healthcheck") or {}
    assert not health.get("disable"), f"{name} has no healthcheck"
    assert f":{args.port}/healthz" in " ".join(map(str, health.get("test") or [])), health


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_container_loads_production_settings(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, container, _ = serving(service)
    settings = load_settings(monkeypatch, container, settings_classes()[service])
    assert settings.env == "prod"
    assert settings.jwt_secret == OPERATOR_VALUES["ORBIT_JWT_SECRET"]

    url = make_url(settings.database_url_for(service))
    assert url.drivername == "postgresql+asyncpg"
    assert url.host in containers(), f"database host {url.host} is no compose service"
    assert url.database in init_script_databases(), f"{url.database} is not created"

    assert settings.kafka_bootstrap, "production runs on Kafka"
    kafka = containers()[settings.kafka_bootstrap.split(":")[0]]
    advertised = str(environment(kafka).get("KAFKA_ADVERTISED_LISTENERS") or "")
    assert f"://{settings.kafka_bootstrap}" in advertised, advertised


def test_migrate_runs_once_on_every_service_database(monkeypatch: pytest.MonkeyPatch) -> None:
    name, container, args = migrating()
    assert args.service == "all"
    assert str(container.get("restart", "no")) == "no", "a one-shot step must not restart"
    migrated = load_settings(monkeypatch, container, OrbitSettings)
    urls = {s: migrated.database_url_for(s) for s in SERVICES}
    for host in {make_url(u).host for u in urls.values()}:
        assert depends_on(container).get(str(host)) == "service_healthy", f"{name} -> {host}"
    for service in SERVICES:
        served = load_settings(monkeypatch, serving(service)[1], settings_classes()[service])
        assert served.database_url_for(service) == urls[service], service
    databases = [make_url(u).database for u in urls.values()]
    assert len(set(databases)) == len(SERVICES), f"one database per service: {databases}"
    assert set(databases) <= init_script_databases()


def test_postgres_16_and_kafka_4_in_kraft_mode() -> None:
    images = {name: str(c.get("image", "")) for name, c in containers().items()}
    assert any(i.startswith("postgres:16") for i in images.values()), images
    kafka = [n for n, image in images.items() if image.startswith("apache/kafka:4.")]
    assert len(kafka) == 1, images
    env = environment(containers()[kafka[0]])
    assert set(str(env["KAFKA_PROCESS_ROLES"]).split(",")) == {"broker", "controller"}
    voters = str(env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
    assert voters.startswith(f"{env['KAFKA_NODE_ID']}@{kafka[0]}:"), voters
    controller = str(env["KAFKA_CONTROLLER_LISTENER_NAMES"])
    assert f"{controller}://" in str(env["KAFKA_LISTENERS"])
    assert env.get("CLUSTER_ID"), "the image formats its storage with CLUSTER_ID"


# --- the gateway ------------------------------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def children(self, name: str) -> Iterator[Directive]:
        return (d for d in self.block or [] if d.name == name)


def _tokens(text: str) -> Iterator[str]:
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
        elif char in "{};":
            yield char
            i += 1
        elif char in "'\"":
            end = i + 1
            while text[end] != char:
                end += 2 if text[end] == "\\" else 1
            yield text[i + 1 : end]
            i = end + 1
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in "{};":
                end += 1
            yield text[i:end]
            i = end


def parse_nginx(text: str) -> list[Directive]:
    tokens = list(_tokens(text))
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                directives.append(Directive(words[0], words[1:]))
                words = []
            elif token == "{":
                directives.append(Directive(words[0], words[1:], block()))
                words = []
            elif token == "}":
                assert not words, f"unterminated directive {words}"
                return directives
            else:
                words.append(token)
        assert not words, f"unterminated directive {words}"
        return directives

    return block()


@dataclass(frozen=True)
class Location:
    modifier: str  # "" (prefix), "=", "^~", "~", "~*" or "@" (named)
    pattern: str
    service: str | None = None  # the compose service it proxies to; None: nginx answers
    port: int | None = None
    uri: str | None = None  # the URI part of proxy_pass, if any

    @property
    def label(self) -> str:
        return f"{self.modifier} {self.pattern}".strip()


@functools.cache
def gateway() -> tuple[Location, ...]:
    http = next(d for d in parse_nginx(NGINX_CONF.read_text()) if d.name == "http")
    upstreams: dict[str, tuple[str, int]] = {}
    for upstream in http.children("upstream"):
        servers = [s.args[0] for s in upstream.children("server")]
        assert len(servers) == 1, f"upstream {upstream.args[0]}: one compose service each"
        server_host, _, server_port = servers[0].rpartition(":")
        upstreams[upstream.args[0]] = (server_host, int(server_port or 80))
    locations = []
    for server in http.children("server"):
        for location in server.children("location"):
            modifier, pattern = location.args if len(location.args) == 2 else ("", location.args[0])
            if pattern.startswith("@"):
                modifier, pattern = "@", pattern[1:]
            passes = [d.args[0] for d in location.children("proxy_pass")]
            if not passes:
                locations.append(Location(modifier, pattern))
                continue
            match = re.fullmatch(
                r"http://(?P<host>[^/:]+)(?::(?P<port>\d+))?(?P<uri>/.*)?", passes[0]
            )
            assert match, f"proxy_pass {passes[0]}: want http://<upstream>[/uri]"
            host, port = upstreams.get(match["host"], (match["host"], int(match["port"] or 80)))
            locations.append(Location(modifier, pattern, host, port, match["uri"]))
    return tuple(locations)


def route(path: str) -> Location | None:
    """The location nginx picks for ``path``: exact, else the longest prefix unless ``^~``,
    else the first matching regex, else that longest prefix."""
    locations = gateway()
    for location in locations:
        if location.modifier == "=" and location.pattern == path:
            return location
    prefixes = [
        loc for loc in locations if loc.modifier in ("", "^~") and path.startswith(loc.pattern)
    ]
    longest = max(prefixes, key=lambda loc: len(loc.pattern), default=None)
    if longest is not None and longest.modifier == "^~":
        return longest
    for location in locations:
        if location.modifier in ("~", "~*"):
            flags = re.IGNORECASE if location.modifier == "~*" else 0
            if re.search(location.pattern, path, flags):
                return location
    return longest


@functools.cache
def service_apps() -> dict[str, Any]:
    """Each service's FastAPI app as ``orbit serve`` builds it (never started: no I/O)."""
    settings = OrbitSettings(
        env="test",
        jwt_secret=OPERATOR_VALUES["ORBIT_JWT_SECRET"],
        kafka_bootstrap=None,
        database_url=None,
        jwks_url=None,
    )
    return {service: standalone_app(service, settings) for service in SERVICES}


def service_paths(service: str) -> set[str]:
    """Every path the service's app serves: its OpenAPI paths, its top-level routes
    (/healthz, /openapi.json, ...) and the routes of the service's routers."""
    app = service_apps()[service]
    routes = [*app.routes, *(r for router in SPECS[service].routers for r in router.routes)]
    paths = {path for r in routes if isinstance(path := getattr(r, "path", None), str)}
    return paths | set(app.openapi()["paths"])


@functools.cache
def api_paths() -> dict[str, tuple[str, ...]]:
    """The API paths of each service, with sample values for their path parameters."""
    return {
        service: tuple(
            sorted(
                {
                    re.sub(r"\{[^}]+\}", SAMPLE_ID, path)
                    for path in service_paths(service)
                    if path.startswith("/api/")
                }
            )
        )
        for service in SERVICES
    }


def test_gateway_reaches_each_service_at_the_port_it_serves_on() -> None:
    targets = {(loc.service, loc.port) for loc in gateway() if loc.service}
    for service in SERVICES:
        name, _, args = serving(service)
        assert (name, args.port) in targets, f"the gateway never reaches {name}:{args.port}"
    assert {s for s, _ in targets} <= set(SERVICES), targets

    gateway_container = next(
        c
        for c in containers().values()
        if any(str(v).split(":")[0].endswith("nginx.conf") for v in c.get("volumes") or [])
    )
    mounted = next(str(v) for v in gateway_container["volumes"] if "nginx.conf" in str(v))
    assert (COMPOSE_FILE.parent / mounted.split(":")[0]).resolve() == NGINX_CONF
    needs = depends_on(gateway_container)
    for service in SERVICES:
        assert needs.get(serving(service)[0]) == "service_healthy", needs


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_of_a_service_is_routed_to_it(service: str) -> None:
    misrouted = {}
    for path in api_paths()[service]:
        location = route(path)
        if location is None or location.service != service:
            misrouted[path] = location.label if location else None
    assert not misrouted, f"gateway routes {service}'s paths elsewhere: {misrouted}"


@pytest.mark.parametrize(
    "location", [loc for loc in gateway() if loc.service], ids=lambda loc: loc.label
)
def test_every_gateway_location_is_served_by_its_service(location: Location) -> None:
    if location.modifier == "=":
        target = location.uri or location.pattern
        assert target in service_paths(str(location.service)), (
            f"{location.service} does not serve {target}"
        )
        return
    hits = {
        (service, path)
        for service, paths in api_paths().items()
        for path in paths
        if route(path) == location
    }
    assert hits, f"{location.service} serves nothing under {location.label}: a route is gone"
    assert {service for service, _ in hits} == {location.service}, hits
    unserved = [
        branch
        for branch in branches(location)
        if not any(re.search(branch, path) for _, path in hits)
    ]
    assert not unserved, f"{location.service} serves nothing under {unserved}: a route is gone"


def branches(location: Location) -> list[str]:
    """A regex location's first alternation ``^/api/v1/(a|b)(/|$)`` as one pattern per branch
    (``^/api/v1/a(/|$)``, ``^/api/v1/b(/|$)``), so each branch needs a route of its own."""
    split = re.fullmatch(
        r"(?P<head>[^()|]*)\((?P<alts>[^()]*\|[^()]*)\)(?P<tail>.*)", location.pattern
    )
    if location.modifier not in ("~", "~*") or split is None:
        return [location.pattern]
    return [split["head"] + alt + split["tail"] for alt in split["alts"].split("|")]


def test_gateway_answers_unknown_paths_itself() -> None:
    fallback = route("/no/such/path")
    assert fallback is not None and fallback.service is None


# --- the Dockerfile ---------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions ``(KEYWORD, arguments)`` of each stage, continuation lines joined."""
    stages: list[list[tuple[str, str]]] = []
    logical = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, rest = logical.partition(" ")
        logical = ""
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), rest.strip()))
    return stages


def final_stage(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile_stages()[-1] if kw == keyword]


def dockerfile_env() -> set[str]:
    names = set()
    for stage in dockerfile_stages():
        for keyword, rest in stage:
            if keyword == "ENV":
                names |= {item.split("=", 1)[0] for item in shlex.split(rest)}
    return names


def final_stage_env() -> dict[str, str]:
    """The ENV values of the image (its final stage), ``$VAR`` references left as they are."""
    values: dict[str, str] = {}
    for rest in final_stage("ENV"):
        for item in shlex.split(rest):
            name, _, value = item.partition("=")
            values[name] = value
    return values


def test_the_image_runs_in_prod_and_refuses_the_dev_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image_env = {k: v for k, v in final_stage_env().items() if k.startswith("ORBIT_")}
    assert image_env.get("ORBIT_ENV") == "prod", image_env
    comments = "\n".join(
        line for line in DOCKERFILE.read_text().splitlines() if line.startswith("#")
    )
    assert "ORBIT_ENV=prod" in comments and "ORBIT_JWT_SECRET" in comments, "document it"

    container = {"environment": image_env}
    with pytest.raises(ValueError, match="ORBIT_JWT_SECRET"):
        load_settings(monkeypatch, container, OrbitSettings)
    # The image's own command stops at once: a configuration error, before serving anything.
    (command,) = final_stage("CMD")
    assert cli.main(json.loads(command)) == 2
    assert "ORBIT_JWT_SECRET is the development default" in capsys.readouterr().err

    container["environment"] = image_env | {"ORBIT_JWT_SECRET": OPERATOR_VALUES["ORBIT_JWT_SECRET"]}
    settings = load_settings(monkeypatch, container, OrbitSettings)
    assert settings.env == "prod" and settings.jwt_secret == OPERATOR_VALUES["ORBIT_JWT_SECRET"]


def test_dockerfile_runs_the_orbit_console_script() -> None:
    base = dockerfile_stages()[-1][0][1].split()[0]
    assert base.startswith("python:3.11-slim"), base
    scripts = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]
    (entrypoint,) = final_stage("ENTRYPOINT")
    program = json.loads(entrypoint)
    assert program == ["orbit"] and "orbit" in scripts, (program, scripts)
    module, _, function = scripts["orbit"].partition(":")
    assert getattr(importlib.import_module(module), function) is cli.main

    (command,) = final_stage("CMD")
    args = cli.build_parser().parse_args(json.loads(command))
    assert args.host == "0.0.0.0"
    assert [str(args.port)] == [p.split("/")[0] for p in " ".join(final_stage("EXPOSE")).split()]
    (health,) = final_stage("HEALTHCHECK")
    assert "urllib" in health and f"127.0.0.1:{args.port}/healthz" in health, health
    users = final_stage("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0"), "run as a non-root user"
    installs = [rest for stage in dockerfile_stages() for kw, rest in stage if kw == "RUN"]
    assert any(re.search(r"pip install (\S+ )*\.$", r) for r in installs), installs


def test_compose_builds_the_orbit_image_from_the_dockerfile() -> None:
    built = orbit_image_containers()
    assert {serving(s)[0] for s in SERVICES} | {migrating()[0]} <= set(built)


# --- docker compose itself, where it is installed ---------------------------------------------


def compose_v2_cli() -> list[str] | None:
    """A Compose v2 command line (``docker compose`` or a v2 ``docker-compose``), or None."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone is not None:
        probe = subprocess.run(
            [standalone, "version", "--short"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0 and not probe.stdout.strip().startswith("1."):
            return [standalone]
    return None


def test_docker_compose_accepts_the_file() -> None:
    """``docker compose config`` (no engine needed) where a Compose v2 CLI is installed. Not
    installed by the suite: Debian (bookworm) packages only docker-compose 1.29, Compose v1,
    which predates the file's ``start_interval`` and would reject it."""
    command = compose_v2_cli()
    if command is None:
        pytest.skip(
            "no Compose v2 CLI here (Debian bookworm's docker-compose is 1.29, Compose v1, "
            "which predates start_interval): install docker-compose-plugin to run this check"
        )
    result = subprocess.run(
        [
            *command,
            "-f",
            str(COMPOSE_FILE),
            "--profile",
            "monitoring",
            "--profile",
            "kafka-ui",
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **OPERATOR_VALUES},
    )
    assert result.returncode == 0, result.stderr
