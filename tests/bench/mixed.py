"""The mixed workload (issue 14): list reads, reads by id, interaction writes and payments at
once, driven by ``wrk`` (C, off the Python CPU budget) with one Lua script, for
``BENCH_MIXED_SECONDS`` (default 120) against

- the four production processes, ``orbit serve clients|interactions|billing|notifications``
  on fresh PostgreSQL databases and a Kafka broker of their own (``deploy/local/kafka.sh
  start bench-mixed``, reset first, stopped after): one wrk per process (wrk speaks to one
  address), each running the script's requests for that service, the 16 connections shared
  out by the mix's weights;
- the embedded ``orbit run`` (SQLite, in-process bus): one wrk, the whole mix.

Both are seeded through the API: a manager, ``CLIENTS`` clients (waited for in the
interactions and billing replicas), one interaction each (for the reads by id). Reported per
process: requests/s, p50/p99, errors (non-2xx answers and socket errors), CPU used (% of one
core) and the RSS at the start and at the end of the load.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench import http, summary

SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "120"))
CLIENTS = 40
CONNECTIONS = 16
SERVICES = ("clients", "interactions", "billing", "notifications")
RSS_GROWTH_GOAL = 1.5  # the RSS at the end at most 1.5x the RSS at the start of the load

# (request kind, service, weight in %): what a day of account managers does, roughly
MIX: list[tuple[str, str, int]] = [
    ("GET /api/v1/clients?limit=50", "clients", 10),
    ("GET /api/v1/clients/{id}", "clients", 15),
    ("GET /api/v1/interactions?client_id=…", "interactions", 10),
    ("GET /api/v1/interactions/{id}", "interactions", 15),
    ("POST /api/v1/interactions (inbound, opens a request)", "interactions", 10),
    ("POST /api/v1/interactions (outbound email)", "interactions", 15),
    ("GET /api/v1/notifications", "notifications", 10),
    ("POST /api/v1/payments", "billing", 15),
]

_LUA_REQUESTS = {
    "GET /api/v1/clients?limit=50": 'return wrk.format("GET", "/api/v1/clients?limit=50")',
    "GET /api/v1/clients/{id}": 'return wrk.format("GET", "/api/v1/clients/" .. pick(clients))',
    "GET /api/v1/interactions?client_id=…": (
        'return wrk.format("GET", "/api/v1/interactions?limit=50&client_id=" .. pick(clients))'
    ),
    "GET /api/v1/interactions/{id}": (
        'return wrk.format("GET", "/api/v1/interactions/" .. pick(interactions))'
    ),
    "POST /api/v1/interactions (inbound, opens a request)": (
        'return wrk.format("POST", "/api/v1/interactions", nil, \'{"client_id":"\' .. '
        "pick(clients) .. '\",' .. inbound)"
    ),
    "POST /api/v1/interactions (outbound email)": (
        'return wrk.format("POST", "/api/v1/interactions", nil, \'{"client_id":"\' .. '
        "pick(clients) .. '\",' .. outbound)"
    ),
    "GET /api/v1/notifications": 'return wrk.format("GET", "/api/v1/notifications?limit=50")',
    "POST /api/v1/payments": (
        "n = n + 1\n"
        '  return wrk.format("POST", "/api/v1/payments", nil, \'{"client_id":"\' .. '
        'pick(clients) .. \'","amount":"25.00","currency":"EUR","reference":"\' .. '
        "run .. '-' .. n .. '\"}')"
    ),
}


@dataclass(frozen=True)
class Load:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors


@dataclass(frozen=True)
class Process:
    name: str
    load: Load | None  # None: no wrk of its own (it only consumes events)
    cpu_percent: float  # of one core, over the load
    rss_start_mb: float
    rss_end_mb: float


def lua_script(token: str, clients: list[str], interactions: list[str], services: set[str]) -> str:
    """The mix's requests of ``services``, picked at random by weight, per request."""
    occurred = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    common = (
        f'"type":"email","occurred_at":"{occurred}","subject":"Invoice question",'
        '"summary":"The client asks why the March invoice lists two licences."'
    )
    mix = [(kind, weight) for kind, service, weight in MIX if service in services]
    lines = [
        f"math.randomseed({uuid.uuid4().int % 2**31})",
        "n = 0",
        f'run = "bench-{uuid.uuid4().hex[:12]}"',
        f'wrk.headers["Authorization"] = "Bearer {token}"',
        'wrk.headers["Content-Type"] = "application/json"',
        "clients = {" + ", ".join(f'"{c}"' for c in clients) + "}",
        "interactions = {" + ", ".join(f'"{i}"' for i in interactions) + "}",
        f'inbound = [[{common},"direction":"inbound","requires_response":true}}]]',
        f'outbound = [[{common},"direction":"outbound"}}]]',
        "function pick(t) return t[math.random(#t)] end",
        "kinds = {}",
    ]
    total = 0
    for n, (kind, weight) in enumerate(mix, 1):
        total += weight
        lines.append(f"kinds[{n}] = {{{total}, function()\n  {_LUA_REQUESTS[kind]}\nend}}")
    lines += [
        "request = function()",
        f"  local r = math.random({total})",
        "  for _, k in ipairs(kinds) do",
        "    if r <= k[1] then return k[2]() end",
        "  end",
        "end",
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def _wrk(base: str, script: str, connections: int, seconds: int) -> Iterator[Callable[[], Load]]:
    """Start wrk in the background; the callable waits for it and reads its output."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    proc = subprocess.Popen(
        [
            http.ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            f.name,
            base,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )

    def result() -> Load:
        out, _ = proc.communicate(timeout=seconds + 60)
        return _parse(out)

    try:
        yield result
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.unlink(f.name)


def _parse(out: str) -> Load:
    try:
        total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        sockets = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
        )
        return Load(
            requests=total,
            requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            p50_ms=http._ms(re.search(r"^\s*50%[ \t]+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
            p99_ms=http._ms(re.search(r"^\s*99%[ \t]+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
            errors=(int(non_2xx.group(1)) if non_2xx else 0)
            + (sum(int(g) for g in sockets.groups()) if sockets else 0),
        )
    except (AttributeError, ValueError) as exc:
        raise AssertionError(f"cannot read wrk's output:\n{out}") from exc


def _wait(check: Callable[[], object], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except urllib.error.HTTPError as exc:
            if exc.code not in (401, 403, 404, 422) or time.monotonic() > deadline:
                raise AssertionError(f"{what}: {exc}") from exc
            time.sleep(0.2)


def seed(bases: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """A manager (their token), their clients (known to interactions and billing) and one
    interaction per client, all through the API."""
    token, first = http.manager_token(bases["clients"])
    clients = [first] + [
        str(http._request("POST", f"{bases['clients']}/api/v1/clients", token, http.BODY)["id"])
        for _ in range(CLIENTS - 1)
    ]
    interactions = []
    for client_id in clients:
        _wait(
            lambda c=client_id: http._request(  # type: ignore[misc]
                "GET", f"{bases['billing']}/api/v1/clients/{c}/credit", token
            ),
            "the billing replica",
        )
        http._known_to_interactions(bases["interactions"], token, client_id)
        body = http.interaction_bodies([client_id])[http.OUTBOUND][0]
        made = http._request("POST", f"{bases['interactions']}/api/v1/interactions", token, body)
        interactions.append(str(made["id"]))
    _wait(
        lambda: http._request("GET", f"{bases['notifications']}/api/v1/notifications", token),
        "the notifications service",
    )
    return token, clients, interactions


def _only(loads: list[Load]) -> Load | None:
    return loads[0] if len(loads) == 1 else None


def _measure(
    pids: dict[str, int], bases: dict[str, str], seconds: int
) -> tuple[list[Process], Load]:
    """Seed, then the load: one wrk per distinct base (its services' requests)."""
    token, clients, interactions = seed(bases)
    by_base: dict[str, set[str]] = {}
    for service, base in bases.items():
        by_base.setdefault(base, set()).add(service)
    weights = {
        base: sum(w for _, s, w in MIX if s in services) for base, services in by_base.items()
    }
    total_weight = sum(weights.values())
    rss_start = {name: http._rss_mb(pid) for name, pid in pids.items()}
    cpu_start = {name: http._cpu_seconds(pid) for name, pid in pids.items()}
    with ExitStack() as stack:
        waits = {
            base: stack.enter_context(
                _wrk(
                    base,
                    lua_script(token, clients, interactions, services),
                    max(1, round(CONNECTIONS * weights[base] / total_weight)),
                    seconds,
                )
            )
            for base, services in by_base.items()
            if weights[base]
        }
        loads = {base: wait() for base, wait in waits.items()}
    processes = [
        Process(
            name,
            loads.get(bases[name]) if name in bases else _only(list(loads.values())),
            (http._cpu_seconds(pid) - cpu_start[name]) * 100 / seconds,
            rss_start[name],
            http._rss_mb(pid),
        )
        for name, pid in pids.items()
    ]
    all_loads = list(loads.values())
    requests = sum(x.requests for x in all_loads)
    total = Load(
        requests=requests,
        requests_per_second=sum(x.requests_per_second for x in all_loads),
        # the percentiles of the busiest wrk, weighted by requests: an approximation
        p50_ms=sum(x.p50_ms * x.requests for x in all_loads) / max(requests, 1),
        p99_ms=max(x.p99_ms for x in all_loads),
        errors=sum(x.errors for x in all_loads),
    )
    return processes, total


def production(
    make_url: Callable[[str], str], workdir: Path, seconds: int
) -> tuple[list[Process], Load]:
    urls = {s: make_url(f"bench_mixed_{s}") for s in SERVICES}
    with http.dedicated_kafka("bench-mixed") as kafka:
        env = http.migrated_env(kafka, urls)
        with ExitStack() as stack:
            pids, bases = {}, {}
            for service in SERVICES:
                port = http.free_port()
                bases[service] = f"http://127.0.0.1:{port}"
                proc = stack.enter_context(
                    http.server(
                        [http.ORBIT, "serve", service, "--port", str(port)],
                        env,
                        f"{bases[service]}/readyz",
                        workdir / f"mixed-{service}.log",
                    )
                )
                pids[service] = proc.pid
            return _measure(pids, bases, seconds)


def embedded(workdir: Path, seconds: int) -> tuple[list[Process], Load]:
    port = http.free_port()
    base = f"http://127.0.0.1:{port}"
    env = http.orbit_env(ORBIT_DATA_DIR=str(workdir / f"mixed-var-{uuid.uuid4().hex[:6]}"))
    with http.server(
        [http.ORBIT, "run", "--port", str(port)], env, f"{base}/readyz", workdir / "mixed-run.log"
    ) as proc:
        return _measure({"orbit run": proc.pid}, dict.fromkeys(SERVICES, base), seconds)


def _rows(setup: str, processes: list[Process], total: Load, seconds: int) -> list[str]:
    rows = []
    for p in processes:
        load = p.load
        rows.append(
            f"| {setup} | {p.name} | "
            + (
                f"{load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | "
                f"{load.errors} | "
                if load
                else "- | - | - | - | "
            )
            + f"{p.cpu_percent:.0f} % | {p.rss_start_mb:.0f} → {p.rss_end_mb:.0f} |"
        )
    rows.append(
        f"| {setup} | **all** | **{total.requests_per_second:,.0f}** | {total.p50_ms:.1f} | "
        f"{total.p99_ms:.1f} | {total.errors} of {total.requests:,} | "
        f"{sum(p.cpu_percent for p in processes):.0f} % | "
        f"{sum(p.rss_start_mb for p in processes):.0f} → "
        f"{sum(p.rss_end_mb for p in processes):.0f} |"
    )
    growth = max(p.rss_end_mb / p.rss_start_mb for p in processes)
    summary.record(
        f"mixed workload, {setup}, {seconds} s at {CONNECTIONS} connections",
        f"{total.requests_per_second:,.0f} req/s, p99 {total.p99_ms:.0f} ms, "
        f"{total.errors} errors, RSS grew {growth:.2f}x at most",
        "-",
        "-",
        f"no errors, RSS growth ≤ {RSS_GROWTH_GOAL}x",
        total.errors == 0 and growth <= RSS_GROWTH_GOAL,
    )
    return rows


def mixed_report(make_url: Callable[[str], str], workdir: Path) -> list[str]:
    seconds = SECONDS
    rows = _rows("4 `orbit serve`", *production(make_url, workdir, seconds), seconds)
    rows += _rows("`orbit run`", *embedded(workdir, seconds), seconds)
    mix = ", ".join(f"{kind} {weight} %" for kind, _, weight in MIX)
    return [
        f"### Mixed workload, {seconds} s, wrk at {CONNECTIONS} connections",
        "",
        f"The mix: {mix}. Seeded through the API: a manager, {CLIENTS} clients (known to the "
        "interactions and billing replicas), an interaction each. Production: the four `orbit "
        "serve` processes on fresh PostgreSQL databases and a Kafka broker of their own, one "
        "wrk per process running its share of the mix (connections shared by weight; the "
        "notifications process also consumes every event the others publish); its *all* p50 "
        "is the request-weighted mean of the processes' p50s, its p99 the worst process's. "
        "Embedded: `orbit run` (SQLite, in-process bus), one wrk, the whole mix. Errors: non-2xx "
        "answers and socket errors. CPU: the process's user + system time over the load, in % "
        "of one core. RSS in MB at the start → the end of the load.",
        "",
        "| setup | process | req/s | p50 ms | p99 ms | errors | CPU | RSS MB |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
