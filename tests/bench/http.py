"""HTTP benchmark: ``orbit serve clients`` and ``orbit serve interactions`` (production mode:
PostgreSQL + Kafka) against the bare FastAPI + asyncpg baseline (tests/bench/bare_app.py), both
driven by ``wrk`` in the same run; and the embedded ``orbit run`` (SQLite, in-process bus).
Each process runs alone while it is measured (interactions needs the clients service running
beside it, idle, to feed its replica); wrk (C) keeps the load generator off the Python CPU
budget."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.auth import issue_token

ROOT = Path(__file__).resolve().parents[2]
ORBIT = str(Path(sys.executable).with_name("orbit"))
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
CONNECTIONS = 16
BODY: dict[str, object] = {
    "name": "Acme Ltd",
    "tier": "key",
    "tags": ["a", "b"],
    "country": "DE",
    "timezone": "Europe/Berlin",
}


@dataclass(frozen=True)
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float  # of the server process
    requests: int = 0


def ensure_wrk() -> str:
    """wrk from Debian's package, installed when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package)", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-q", "wrk"],
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    if not shutil.which("wrk"):
        subprocess.run(
            [*sudo, "apt-get", "update", "-q"],
            check=True,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-q", "wrk"],
            check=True,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
    found = shutil.which("wrk")
    assert found, "wrk is not installed"
    return found


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _stat(pid: int) -> list[str]:
    """``/proc/<pid>/stat``'s fields after the command's name (state, ppid, …)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process and of its living descendants (the workers of
    ``orbit serve --workers N``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue  # gone meanwhile
    total, todo = 0, [pid]
    while todo:
        one = todo.pop()
        try:
            fields = _stat(one)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        todo.extend(children.get(one, ()))
    return total / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str,
    pid: int,
    *,
    seconds: int,
    token: str | None = None,
    body: dict[str, object] | None = None,
    bodies: list[dict[str, object]] | None = None,
    timeout_seconds: int = 10,
) -> Result:
    """Run wrk against ``url``; every answer must be a 2xx. ``bodies``: POST one of them,
    picked at random, per request."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body is not None or bodies:
            script.write('wrk.method = "POST"\n')
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
        if body is not None:
            script.write(f"wrk.body = [[{json.dumps(body)}]]\n")
        if token:
            script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        if bodies:
            script.write("bodies = {\n")
            script.writelines(f"  [[{json.dumps(b)}]],\n" for b in bodies)
            script.write("}\n")
            script.write(
                "request = function()\n"
                "  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])\n"
                "end\n"
            )
    try:
        cpu = _cpu_seconds(pid)
        out = subprocess.run(
            [
                ensure_wrk(),
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--timeout",
                # wrk's 2 s would count slow answers of a loaded machine as errors
                f"{timeout_seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        ).stdout
        cpu = _cpu_seconds(pid) - cpu
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out or "Latency Distribution" not in out:
        raise AssertionError(f"wrk against {url} got errors:\n{out}")
    try:
        return _parse(out, cpu)
    except (AttributeError, ValueError) as exc:
        raise AssertionError(f"cannot read wrk's output:\n{out}") from exc


def _parse(out: str, cpu: float) -> Result:
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Result(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(re.search(r"^\s*50%[ \t]+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"^\s*99%[ \t]+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        cpu_ms_per_request=cpu * 1000 / max(total, 1),
        requests=total,
    )


def _request(
    method: str, url: str, token: str | None = None, body: dict[str, object] | None = None
) -> dict[str, object]:
    request = urllib.request.Request(
        url, method=method, data=json.dumps(body).encode() if body is not None else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@contextmanager
def server(
    args: list[str], env: dict[str, str], ready_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(ready_url, timeout=2):
                        break
                except OSError as exc:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"{args} did not start: {log.read_text()[-2000:]}"
                        ) from exc
                    time.sleep(0.3)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def orbit_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBIT_")}
    env.update({"ORBIT_ENV": "test", "ORBIT_JWT_SECRET": SECRET, "ORBIT_LOG_LEVEL": "WARNING"})
    env.update(extra)
    return env


def migrated_env(kafka: str, urls: dict[str, str]) -> dict[str, str]:
    """The environment of ``orbit serve`` for the services of ``urls`` (service -> database
    URL) on ``kafka``, their databases migrated."""
    env = orbit_env(
        ORBIT_KAFKA_BOOTSTRAP=kafka,
        **{f"ORBIT_{s.upper()}_DATABASE_URL": url for s, url in urls.items()},
    )
    for service in urls:
        subprocess.run(
            [ORBIT, "migrate", service],
            env=env,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )
    return env


def manager_token(base: str) -> tuple[str, str]:
    """Create a manager through the API (as an admin); their token and a client of theirs."""
    admin = issue_token(SECRET, uuid.uuid4(), "admin", ttl_seconds=7200)
    staff = _request(
        "POST",
        f"{base}/api/v1/staff",
        admin,
        {
            "name": "Bench Manager",
            "email": f"bench.{uuid.uuid4().hex[:8]}@example.com",
            "role": "manager",
        },
    )
    token = issue_token(SECRET, str(staff["id"]), "manager", ttl_seconds=7200)
    client = _request("POST", f"{base}/api/v1/clients", token, BODY)
    return token, str(client["id"])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_endpoints(
    base: str, pid: int, token: str | None, client_id: str, seconds: int
) -> dict[str, Result]:
    results = {
        "POST /api/v1/clients": wrk(
            f"{base}/api/v1/clients", pid, seconds=seconds, token=token, body=BODY
        )
    }
    # the list reads the first 50 of the manager's clients (the POSTs made some)
    results["GET /api/v1/clients/{id}"] = wrk(
        f"{base}/api/v1/clients/{client_id}", pid, seconds=seconds, token=token
    )
    results["GET /api/v1/clients?limit=50"] = wrk(
        f"{base}/api/v1/clients?limit=50", pid, seconds=seconds, token=token
    )
    return results


def orbit_production(
    database_url: str, kafka: str, seconds: int, workdir: Path
) -> dict[str, Result]:
    env = orbit_env(ORBIT_CLIENTS_DATABASE_URL=database_url, ORBIT_KAFKA_BOOTSTRAP=kafka)
    subprocess.run(
        [ORBIT, "migrate", "clients"],
        env=env,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(
        [ORBIT, "serve", "clients", "--port", str(port)],
        env,
        f"{base}/readyz",
        workdir / "orbit-serve.log",
    ) as proc:
        token, client_id = manager_token(base)
        return measure_endpoints(base, proc.pid, token, client_id, seconds)


def bare(database_url: str, seconds: int, workdir: Path) -> dict[str, Result]:
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    env = {**os.environ, "BARE_DATABASE_URL": dsn}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(
        [UVICORN, "tests.bench.bare_app:app", "--port", str(port), "--log-level", "warning"],
        env,
        f"{base}/api/v1/clients?limit=1",
        workdir / "bare.log",
    ) as proc:
        client = _request("POST", f"{base}/api/v1/clients", None, BODY)
        return measure_endpoints(base, proc.pid, None, str(client["id"]), seconds)


# ---------------------------------------------------------------- interactions

INTERACTION_CLIENTS = 16  # the load spreads over them (a use case locks its client's row)
INBOUND = "POST /api/v1/interactions (inbound, opens a request)"
OUTBOUND = "POST /api/v1/interactions (outbound email)"


def interaction_bodies(client_ids: list[str]) -> dict[str, list[dict[str, object]]]:
    """Per operation, one body per client: an inbound email that needs a response (the
    interaction, its request, two events) and an outbound email (the interaction, the client's
    contact cadence, one event)."""
    occurred = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    common: dict[str, object] = {
        "type": "email",
        "occurred_at": occurred,
        "subject": "Invoice question",
        "summary": "The client asks why the March invoice lists two licences.",
    }
    return {
        INBOUND: [
            {**common, "client_id": c, "direction": "inbound", "requires_response": True}
            for c in client_ids
        ],
        OUTBOUND: [{**common, "client_id": c, "direction": "outbound"} for c in client_ids],
    }


@contextmanager
def dedicated_kafka(name: str) -> Iterator[str]:
    """An empty broker of deploy/local/kafka.sh of its own (the consumer groups ``orbit.<svc>``
    of a shared broker belong to whoever else runs the services), stopped afterwards."""
    from tests.support.servers import kafka_instance

    kafka_instance("reset", name)
    try:
        yield kafka_instance("start", name)
    finally:
        kafka_instance("stop", name)


def _known_to_interactions(base: str, token: str, client_id: str, timeout: float = 60) -> None:
    """Wait until the interactions replica has the client: an internal note is accepted."""
    deadline = time.monotonic() + timeout
    body: dict[str, object] = {
        "client_id": client_id,
        "type": "note",
        "direction": "internal",
        "occurred_at": datetime.now(UTC).isoformat(),
        "summary": "bench warm-up",
    }
    while True:
        try:
            _request("POST", f"{base}/api/v1/interactions", token, body)
            return
        except urllib.error.HTTPError as exc:
            if exc.code not in (401, 404, 422) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def orbit_interactions(
    clients_db: str, interactions_db: str, kafka: str, seconds: int, workdir: Path
) -> dict[str, Result]:
    """``orbit serve interactions`` with ``orbit serve clients`` beside it on the same Kafka:
    staff and clients created through the clients API reach the interactions replica through
    Kafka; then wrk against ``POST /api/v1/interactions``."""
    env = migrated_env(kafka, {"clients": clients_db, "interactions": interactions_db})
    clients_port, port = free_port(), free_port()
    clients_base, base = f"http://127.0.0.1:{clients_port}", f"http://127.0.0.1:{port}"
    with (
        server(
            [ORBIT, "serve", "clients", "--port", str(clients_port)],
            env,
            f"{clients_base}/readyz",
            workdir / "orbit-serve-clients.log",
        ),
        server(
            [ORBIT, "serve", "interactions", "--port", str(port)],
            env,
            f"{base}/readyz",
            workdir / "orbit-serve-interactions.log",
        ) as proc,
    ):
        token, first = manager_token(clients_base)
        client_ids = [first] + [
            str(_request("POST", f"{clients_base}/api/v1/clients", token, BODY)["id"])
            for _ in range(INTERACTION_CLIENTS - 1)
        ]
        for client_id in client_ids:
            _known_to_interactions(base, token, client_id)
        return {
            op: wrk(f"{base}/api/v1/interactions", proc.pid, seconds=seconds, token=token, bodies=b)
            for op, b in interaction_bodies(client_ids).items()
        }


def bare_interactions(database_url: str, seconds: int, workdir: Path) -> Result:
    """The baseline of ``POST /api/v1/interactions``: one row inserted, same bodies."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    env = {**os.environ, "BARE_DATABASE_URL": dsn}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client_ids = [str(uuid.uuid4()) for _ in range(INTERACTION_CLIENTS)]
    with server(
        [UVICORN, "tests.bench.bare_app:app", "--port", str(port), "--log-level", "warning"],
        env,
        f"{base}/api/v1/clients?limit=1",
        workdir / "bare-interactions.log",
    ) as proc:
        return wrk(
            f"{base}/api/v1/interactions",
            proc.pid,
            seconds=seconds,
            bodies=interaction_bodies(client_ids)[INBOUND],
        )


def embedded(seconds: int, workdir: Path) -> tuple[Result, float, float, float]:
    """``orbit run`` on SQLite: POST /clients; its RSS (MB) idle and after the load; and the
    CPU ms per request including the work the load left behind (the other services'
    consumers applying the client.created events after wrk stopped)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = orbit_env(ORBIT_DATA_DIR=str(workdir / "var"))
    with server(
        [ORBIT, "run", "--port", str(port)], env, f"{base}/readyz", workdir / "orbit-run.log"
    ) as proc:
        token, _ = manager_token(base)
        idle = _rss_mb(proc.pid)
        before = settled_cpu(proc.pid)
        result = wrk(f"{base}/api/v1/clients", proc.pid, seconds=seconds, token=token, body=BODY)
        requests = max(result.requests_per_second * seconds, 1)
        drained = (settled_cpu(proc.pid) - before) * 1000 / requests
        return result, idle, _rss_mb(proc.pid), drained


def settled_cpu(pid: int, idle_cpu_seconds: float = 0.06, timeout: float = 120) -> float:
    """The process's CPU seconds once it has gone quiet (less than ``idle_cpu_seconds`` of
    CPU in a second: its relays and consumers have nothing left to do)."""
    last = _cpu_seconds(pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _cpu_seconds(pid)
        if now - last < idle_cpu_seconds:
            return now
        last = now
    return last


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
