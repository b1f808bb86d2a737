"""The public API documents, generated from the code: ``docs/openapi.json`` (the merged
OpenAPI document of the four services, i.e. the embedded app's) and the generated half of
``docs/api.md`` (every operation, every schema's fields, every event), below its marker line
(the half above it is written by hand and kept as it is).

``orbit openapi`` writes both; ``orbit openapi --check`` writes nothing and lists the drift
(``tests/unit/test_api_docs.py`` runs it). A composition root: it imports every service.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from pathlib import Path
from typing import Any

from services.schemas import event_models
from shared.settings import OrbitSettings

OPENAPI_FILE = Path("docs/openapi.json")
API_MD_FILE = Path("docs/api.md")
MARKER = "<!-- Generated below by `orbit openapi` from the code: do not edit by hand. -->"
METHODS = ("get", "post", "put", "patch", "delete")

Schema = dict[str, Any]


def openapi_document() -> Schema:
    """The embedded app's OpenAPI document: every service's paths, one origin (a copy)."""
    return copy.deepcopy(_document())


@functools.cache
def _document() -> Schema:
    from services.embedded import embedded_app

    # Building the app connects to nothing; the settings only name the (unused) databases.
    return embedded_app(OrbitSettings()).openapi()


def openapi_text(document: Schema | None = None) -> str:
    return json.dumps(document or openapi_document(), indent=2, ensure_ascii=False) + "\n"


# --- docs/api.md, the generated half --------------------------------------------------------


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(name: str) -> str:
    return name.lower()


def type_of(schema: Schema) -> str:
    """A JSON Schema as a short type: ``ClientOut`` (linked), ``string (uuid)[]``,
    ``key | standard | small``, ``integer | null``."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f"[{name}](#{_anchor(name)})"
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " \\| ".join(type_of(s) for s in schema[combinator])
    kind = schema.get("type")
    if kind == "array":
        return f"{type_of(schema.get('items', {}))}[]"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"object of {type_of(extra) if isinstance(extra, dict) else 'any'}"
    if isinstance(kind, list):
        return " \\| ".join(kind)
    text = str(kind or "any")
    if "format" in schema:
        text += f" ({schema['format']})"
    return text


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") if text else ""


def _operation_lines(path: str, method: str, operation: Schema) -> list[str]:
    lines = [f"#### `{method.upper()} {path}`", ""]
    lines.append(f"`{operation.get('operationId', '')}` — {operation.get('summary', '')}")
    if operation.get("description"):
        lines += ["", " ".join(operation["description"].split())]
    lines.append("")
    if operation.get("security"):
        scopes = dict.fromkeys(s for r in operation["security"] for ss in r.values() for s in ss)
        needs = f"; an integration needs {', '.join(f'`{s}`' for s in scopes)}" if scopes else ""
        lines.append(f"- auth: bearer token{needs}")
    params = operation.get("parameters", [])
    for param in params:
        required = ", required" if param.get("required") else ""
        description = param.get("description") or param.get("schema", {}).get("description")
        tail = f": {_cell(description)}" if description else ""
        lines.append(
            f"- {param['in']} `{param['name']}` ({type_of(param.get('schema', {}))}"
            f"{required}){tail}"
        )
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            lines.append(f"- body `{media}`: {type_of(content.get('schema', {}))}")
    for status, response in operation.get("responses", {}).items():
        contents = response.get("content", {})
        shapes = ", ".join(
            f"`{media}` {type_of(c.get('schema', {}))}".rstrip() for media, c in contents.items()
        )
        lines.append(
            f"- {status}: {_cell(response.get('description', ''))}"
            + (f" — {shapes}" if shapes else "")
        )
    lines.append("")
    return lines


def _schema_lines(name: str, schema: Schema) -> list[str]:
    lines = [f"#### {name}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties")
    if not properties:
        lines += [f"{type_of(schema)}", ""]
        return lines
    required = set(schema.get("required", []))
    lines += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, prop in properties.items():
        lines.append(
            f"| `{field}` | {type_of(prop)} | {'yes' if field in required else ''} | "
            f"{_cell(prop.get('description', ''))} |"
        )
    lines.append("")
    return lines


def _event_lines() -> list[str]:
    lines = [
        "### Events",
        "",
        "Every event is a CloudEvents 1.0 record in structured mode on the topic "
        "`orbit.<service>` (key: the `subject`), its `data` as below; the JSON Schema of "
        "each is `docs/events/<type>.json`, the AsyncAPI document `docs/asyncapi.yaml`.",
        "",
        "| type | subject (Kafka key) | data fields |",
        "|---|---|---|",
    ]
    for event_type, model in event_models().items():
        fields = ", ".join(f"`{f}`" for f in model.model_fields)
        lines.append(
            f"| [`{event_type}`](events/{event_type}.json) | `data.{model.KEY_FIELD}` | {fields} |"
        )
    lines.append("")
    return lines


def api_md_generated(document: Schema | None = None) -> str:
    """The generated half of docs/api.md: operations by tag, schemas, events."""
    document = document or openapi_document()
    by_tag: dict[str, list[tuple[str, str, Schema]]] = {}
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                operation = operations[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((path, method, operation))
    lines = [MARKER, "", "## Reference", "", "### Operations", ""]
    lines.append("| method | path | operationId | tag |")
    lines.append("|---|---|---|---|")
    for tag, operations in by_tag.items():
        for path, method, operation in operations:
            lines.append(
                f"| {method.upper()} | `{path}` | `{operation.get('operationId', '')}` | {tag} |"
            )
    lines.append("")
    for tag, operations in by_tag.items():
        lines += [f"### {tag}", ""]
        for path, method, operation in operations:
            lines += _operation_lines(path, method, operation)
    lines += ["### Schemas", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += _schema_lines(name, schema)
    lines += _event_lines()
    return "\n".join(lines).rstrip() + "\n"


def api_md_text(current: str, generated: str) -> str:
    """``current`` with everything from the marker on replaced by ``generated``."""
    head = current.split(MARKER, 1)[0].rstrip()
    return (head + "\n\n" if head else "") + generated


# --- write and check ------------------------------------------------------------------------


def expected_files(root: Path) -> dict[Path, str]:
    document = openapi_document()
    api_md = root / API_MD_FILE
    current = api_md.read_text() if api_md.exists() else ""
    return {
        root / OPENAPI_FILE: openapi_text(document),
        api_md: api_md_text(current, api_md_generated(document)),
    }


def write_api_docs(root: Path) -> list[Path]:
    changed = []
    for path, text in expected_files(root).items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def api_docs_drift(root: Path) -> list[str]:
    """What differs between the checked-in documents and the code (a short diff each)."""
    problems = []
    for path, text in expected_files(root).items():
        current = path.read_text() if path.exists() else ""
        if current != text:
            diff = list(
                difflib.unified_diff(
                    current.splitlines(), text.splitlines(), str(path), "generated", lineterm=""
                )
            )
            problems.append(f"{path} differs from the code:\n" + "\n".join(diff[:40]))
    return problems
