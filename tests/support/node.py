"""Node.js packages of the tests (tests/typescript, tests/ical): each pinned in its
package-lock.json and installed with ``npm ci`` when its node_modules is missing or older than
the lock file. Without Node.js a test needing it is skipped, except in CI (``CI=true``), where
that fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TIMEOUT = 300  # seconds for npm ci or a tool: a hang fails instead of blocking


def require_node() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"Node.js is not installed ({', '.join(missing)} not on PATH): install Node 20+"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def run(args: list[str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def npm_ci(package: Path) -> None:
    """``npm ci`` in ``package`` from its lock file unless node_modules is already its install."""
    installed = package / "node_modules/.package-lock.json"
    lock = package / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    done = run(["npm", "ci", "--no-audit", "--no-fund"], package)
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"


ICAL = Path(__file__).resolve().parents[1] / "ical"


def read_ical(document: bytes) -> dict[str, object]:
    """An iCalendar object as ical.js (tests/ical/invitation.mjs, a second implementation,
    independent of Python's icalendar) reads it: method, uid, sequence, status, summary,
    location, description, start and end (utc, local, zone), organizer, attendees."""
    import json

    require_node()
    npm_ci(ICAL)
    done = run(["node", str(ICAL / "invitation.mjs")], ICAL, stdin=document)
    assert done.returncode == 0, f"ical.js cannot read it:\n{done.stderr}\n{document.decode()}"
    return dict(json.loads(done.stdout))
