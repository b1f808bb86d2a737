"""The ``orbit`` command as a process: a bad setting of a service's own settings class is a
configuration error (exit 2, one message, no traceback) before anything starts, like a bad
shared setting; ``orbit migrate`` against a database it cannot use says which service and
exits 1, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[3]


def orbit(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ORBIT_")}
    clean.update(ORBIT_DATA_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "names"),
    [
        # a service's knob: named by its variable
        ("ORBIT_CLIENTS_SLA_DEFAULTS", '{"key": {}}', "ORBIT_CLIENTS_SLA_DEFAULTS"),
        ("ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS", "999", "ORBIT_CLIENTS_BIRTHDAY_NOTICE_DAYS"),
        ("ORBIT_KAFKA_PARTITIONS", "0", "kafka_partitions"),  # a shared setting, as before
    ],
)
@pytest.mark.parametrize("command", [["serve", "clients"], ["run"]])
def test_a_bad_setting_is_a_configuration_error_before_start(
    tmp_path: Path, command: list[str], variable: str, value: str, names: str
) -> None:
    result = orbit(tmp_path, *command, "--port", str(free_port()), **{variable: value})
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("orbit: invalid configuration: "), result.stderr
    assert names in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "startup" not in result.stderr.lower()  # nothing started


def test_migrate_all_against_an_unreachable_database_names_the_service(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://orbit:s3cret@127.0.0.1:{free_port()}/orbit_{{service}}"
    result = orbit(tmp_path, "migrate", "all", ORBIT_DATABASE_URL=url)
    assert result.returncode == 1, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("orbit: cannot migrate clients: "), lines[0]
    assert "orbit_clients" in lines[0] and "refused" in lines[0].lower()
    assert "s3cret" not in lines[0] and "Traceback" not in result.stderr
    assert "migrated" not in result.stdout


def test_migrate_one_service_on_sqlite_still_works(tmp_path: Path) -> None:
    result = orbit(tmp_path, "migrate", "billing")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "migrated billing"
    assert (tmp_path / "var" / "billing.db").exists()


@pytest.mark.parametrize(
    ("command", "env", "says"),
    [
        # the embedded mode is one process (SQLite, the in-process bus)
        (["run"], {"ORBIT_WORKERS": "2"}, "ORBIT_WORKERS=2: orbit run is one process"),
        # several processes of a service share one database: PostgreSQL, never a SQLite file
        (["serve", "clients", "--workers", "2"], {}, "clients: 2 workers share one database"),
        (["serve", "billing"], {"ORBIT_WORKERS": "3"}, "billing: 3 workers share one database"),
        (["serve", "clients"], {"ORBIT_WORKERS": "0"}, "workers"),
        (["serve", "clients"], {"ORBIT_WORKERS": "33"}, "workers"),
    ],
)
def test_workers_that_cannot_be_are_a_configuration_error(
    tmp_path: Path, command: list[str], env: dict[str, str], says: str
) -> None:
    result = orbit(tmp_path, *command, "--port", str(free_port()), **env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("orbit: invalid configuration: "), result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "startup" not in result.stderr.lower()


@pytest.mark.parametrize("value", ["0", "33", "two"])
def test_a_bad_workers_argument_is_a_usage_error(tmp_path: Path, value: str) -> None:
    result = orbit(tmp_path, "serve", "clients", "--workers", value)
    assert result.returncode == 2
    assert "--workers: a number of processes from 1 to 32" in result.stderr
    assert "Traceback" not in result.stderr
