"""A TypeScript frontend's view of the API: the types generated from docs/openapi.json by the
command docs/api.md (and the README) tell a frontend to run compile a small typed client
(tests/typescript/client.ts: one call of each service through openapi-fetch, request bodies
that leave server-side defaults out, closed sets switched on exhaustively) with
``tsc --noEmit`` in strict mode.

The npm packages are pinned in tests/typescript/package-lock.json (openapi-typescript,
openapi-fetch, typescript) and installed with ``npm ci`` when node_modules is missing or older
than the lock file. Skipped where Node.js is absent, except in CI (``CI=true``), where that
fails.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.support.node import npm_ci, require_node, run

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tests/typescript"
GENERATED = PACKAGE / "generated/orbit.d.ts"
BIN = PACKAGE / "node_modules/.bin"
# The documented command: the line of docs/api.md that generates the types.
COMMAND = re.compile(r"^npx openapi-typescript docs/openapi\.json .*$", re.MULTILINE)


def documented_command() -> list[str]:
    """The generation command of docs/api.md, the same one the README shows."""
    api_md = (ROOT / "docs/api.md").read_text(encoding="utf-8")
    found = COMMAND.findall(api_md)
    assert found, "docs/api.md shows no `npx openapi-typescript docs/openapi.json ...` command"
    command = found[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert command in readme, f"README.md should show the command of docs/api.md: {command}"
    return shlex.split(command)


def test_the_documented_command_names_the_pinned_tool_and_an_output() -> None:
    args = documented_command()
    assert args[:3] == ["npx", "openapi-typescript", "docs/openapi.json"]
    assert "-o" in args


def test_the_client_is_checked_strictly() -> None:
    options = json.loads((PACKAGE / "tsconfig.json").read_text(encoding="utf-8"))
    assert options["compilerOptions"]["strict"] is True
    assert options["compilerOptions"]["noEmit"] is True
    assert options["files"] == ["client.ts"]


def test_the_client_uses_no_any_and_no_casts() -> None:
    code = (PACKAGE / "client.ts").read_text(encoding="utf-8")
    code = re.sub(r"//.*$|/\*.*?\*/", "", code, flags=re.MULTILINE | re.DOTALL)
    code = re.sub(r'"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`', '""', code)  # string contents
    found = {
        "any": re.findall(r"\bany\b", code),
        "as casts": re.findall(r"\bas\s+(?!const\b)[A-Za-z_{\[(]", code),
        "non-null assertions": re.findall(r"[\w)\]]!(?=[.\[(),;\s])(?!=)", code),
        "suppressions": re.findall(r"@ts-(?:ignore|expect-error|nocheck)", code),
    }
    assert not any(found.values()), found


def test_generated_types_compile_a_typed_client_in_strict_mode() -> None:
    require_node()
    npm_ci(PACKAGE)
    args = documented_command()
    output = args.index("-o") + 1
    args[output] = str(GENERATED)
    # The pinned tool of the lock file, run from the repository root as the docs run it.
    args = [str(BIN / "openapi-typescript"), *args[2:]]
    GENERATED.parent.mkdir(exist_ok=True)
    generated = run(args, ROOT)
    assert generated.returncode == 0, f"{args}:\n{generated.stdout}\n{generated.stderr}"
    checked = run([str(BIN / "tsc"), "-p", str(PACKAGE / "tsconfig.json")], PACKAGE)
    assert checked.returncode == 0, (
        "the generated types do not compile tests/typescript/client.ts:\n"
        + checked.stdout
        + checked.stderr
    )
