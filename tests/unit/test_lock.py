"""The lock files match pyproject.toml: every requirement (runtime and otel in
requirements.lock, for the image; all extras in requirements-dev.lock, for make install and
CI) is pinned at a version its range allows, and the two files agree on shared pins. After a
change to the dependencies of pyproject.toml: `make lock`, and commit both files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)==([^\s;]+)")


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match[1].split("[")[0])] = match[2]
    return found


def requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == "orbit":  # orbit[otel] in dev
                pending += list(requirement.extras)
            else:
                wanted.append(text)
    return [Requirement(text) for text in wanted]


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", ("otel",)), ("requirements-dev.lock", ("dev",))]
)
def test_lock_pins_every_requirement_of_pyproject_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(lock)
    text = (ROOT / lock).read_text()
    assert "make lock" in text.splitlines()[1], "refresh the lock with `make lock`"
    problems = []
    for requirement in requirements(*extras):
        name = canonicalize_name(requirement.name)
        version = pinned.get(name)
        if version is None:
            problems.append(f"{requirement} is not in {lock}")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{lock} pins {name}=={version}, outside {requirement}")
        for extra in requirement.extras:  # e.g. uvicorn[standard] brings uvloop
            if name == "uvicorn" and extra == "standard":
                assert "uvloop" in pinned and "httptools" in pinned
    assert not problems, "run `make lock` and commit it:\n" + "\n".join(problems)


def test_the_image_lock_and_the_dev_lock_agree() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    differing = {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v}
    assert not differing, differing
    assert "pytest" in dev and "pytest" not in runtime
