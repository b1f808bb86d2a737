"""The benchmark's own measures (tests/bench): a process's CPU counts its workers', an
endpoint's raw query is what its call sent to the database, and the raw side is timed as long
as Orbit."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

from sqlalchemy import Engine, bindparam, create_engine, select

from tests.bench.caught import Statement, catching
from tests.bench.http import _cpu_seconds
from tests.bench.scale import CONNECTIONS, _load

BURN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
PARENT = (
    "import subprocess, sys\n"
    f"child = subprocess.Popen([sys.executable, '-c', {BURN!r}])\n"
    "sys.stdout.write('started\\n'); sys.stdout.flush()\n"
    "sys.stdin.readline()\n"
    "child.wait()\n"
)


def test_a_processs_cpu_counts_its_living_workers() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None and parent.stdin is not None
        assert parent.stdout.readline() == "started\n"
        before = _cpu_seconds(parent.pid)
        time.sleep(1.5)  # the child burns 0.6 s of CPU, then waits to be reaped
        grown = _cpu_seconds(parent.pid) - before
        # the parent itself sleeps on stdin: the CPU is the child's
        assert grown >= 0.3, grown
    finally:
        if parent.stdin is not None:
            parent.stdin.close()  # the parent reaps its child and ends
        parent.wait(timeout=10)


def test_a_calls_raw_query_is_every_statement_it_sent_with_its_arguments() -> None:
    """What :func:`catching` catches on a real (SQLite) engine: the statements run in its
    context, in order, with their arguments; not those run before or after it, nor in a thread
    that does not carry its context (a service's own workers)."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 0")
        elsewhere = threading.Thread(target=lambda: _run(engine, "SELECT 3"))
        with catching() as caught:
            conn.execute(select(bindparam("one", 1) + 1))
            conn.exec_driver_sql("SELECT ?", (2,))
            elsewhere.start()
            elsewhere.join()
        conn.exec_driver_sql("SELECT 4")
    assert caught == [
        Statement("SELECT ? + ? AS anon_1", (1, 1), None),
        Statement("SELECT ?", (2,), None),
    ]


def _run(engine: Engine, sql: str) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)


def test_the_raw_query_is_timed_for_as_long_as_orbit_on_every_connection() -> None:
    """The raw side calls for a duration, not a count: each connection keeps calling until the
    time is up, so a fast query gives its p99 from many calls."""
    calls: list[int] = []

    async def call() -> None:
        calls.append(1)
        await asyncio.sleep(0.01)

    started = time.perf_counter()
    samples = asyncio.run(_load(call, 0.3))
    assert time.perf_counter() - started >= 0.3  # no bound above: a loaded machine is slow
    # ~30 calls per connection here; a count of calls would give one each (or none)
    assert len(samples) == len(calls) > 2 * CONNECTIONS
    assert all(s >= 10 for s in samples)
