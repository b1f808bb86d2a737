"""Whether a new JSON Schema of an event breaks its published one (``orbit schemas --check``):
:func:`compatibility_problems`. Tooling: the running services never import it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Schema = dict[str, Any]


def compatibility_problems(old: Schema, new: Schema) -> list[str]:
    """Why messages valid against ``new`` break consumers written against ``old``, or old
    messages (still on the topic, replayed) break consumers of ``new``; empty when
    compatible.

    Breaking: a field removed, a field's type changed (including its format and becoming
    nullable or no longer), a new required field, an optional field becoming required or a
    required one optional, allowed values narrowed (enum/const). Fine: a new optional
    field, allowed values widened, titles and descriptions. Local ``$ref`` are followed
    on both sides, so nested models are compared too, whatever their names.
    """
    problems: list[str] = []
    _compare(old, new, "", old, new, problems, frozenset())
    return problems


def _resolve(schema: Schema, root: Schema) -> tuple[Schema, str | None]:
    ref: str | None = None
    seen: set[str] = set()
    while "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#") or ref in seen:
            raise ValueError(f"cannot resolve $ref {ref!r}")
        seen.add(ref)
        target: Any = root
        for part in ref[1:].split("/")[1:]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **siblings}
    return schema, ref


def _alternatives(schema: Schema, root: Schema) -> list[Schema]:
    schema, _ = _resolve(schema, root)
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            out: list[Schema] = []
            for alternative in schema[keyword]:
                out.extend(_alternatives(alternative, root))
            return out
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": t} for t in schema["type"]]
    return [schema]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _kind(schema: Schema) -> str:
    kind = schema.get("type")
    if kind is None:
        if "const" in schema:
            kind = _json_type(schema["const"])
        elif schema.get("enum"):
            kind = "|".join(sorted({_json_type(v) for v in schema["enum"]}))
        elif "properties" in schema:
            kind = "object"
        else:
            kind = "any"
    fmt = schema.get("format")
    return f"{kind}({fmt})" if fmt else str(kind)


def _values(alternatives: list[Schema]) -> list[Any] | None:
    """The values the alternatives allow (const/enum), or None when any value of the kind."""
    values: list[Any] = []
    for alternative in alternatives:
        if "const" in alternative:
            values.append(alternative["const"])
        elif "enum" in alternative:
            values.extend(alternative["enum"])
        else:
            return None
    return values


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _compare(
    old: Schema,
    new: Schema,
    path: str,
    old_root: Schema,
    new_root: Schema,
    problems: list[str],
    seen: frozenset[tuple[str | None, str | None]],
) -> None:
    _, old_ref = _resolve(old, old_root)
    _, new_ref = _resolve(new, new_root)
    if old_ref is not None and new_ref is not None:
        if (old_ref, new_ref) in seen:
            return  # a recursive model, already being compared
        seen = seen | {(old_ref, new_ref)}
    where = path or "(root)"
    olds, news = _alternatives(old, old_root), _alternatives(new, new_root)
    old_kinds = sorted({_kind(a) for a in olds})
    new_kinds = sorted({_kind(a) for a in news})
    if old_kinds != new_kinds:
        problems.append(
            f"{where}: type changed from {' | '.join(old_kinds)} to {' | '.join(new_kinds)}"
        )
        return
    for kind in old_kinds:
        old_of = [a for a in olds if _kind(a) == kind]
        new_of = [a for a in news if _kind(a) == kind]
        old_values, new_values = _values(old_of), _values(new_of)
        if old_values is not None or new_values is not None:
            if new_values is not None:
                lost = (
                    ["(any value)"]
                    if old_values is None
                    else [v for v in old_values if v not in new_values]
                )
                if lost:
                    shown = ", ".join(v if isinstance(v, str) else json.dumps(v) for v in lost)
                    problems.append(f"{where}: no longer allows {shown}")
            continue
        if len(old_of) != len(new_of):
            problems.append(f"{where}: the {kind} alternatives changed")
            continue
        for o, n in zip(old_of, new_of, strict=True):
            _compare_structure(o, n, path, old_root, new_root, problems, seen)


def _compare_structure(
    old: Schema,
    new: Schema,
    path: str,
    old_root: Schema,
    new_root: Schema,
    problems: list[str],
    seen: frozenset[tuple[str | None, str | None]],
) -> None:
    old_props: Mapping[str, Schema] = old.get("properties", {})
    new_props: Mapping[str, Schema] = new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for name, old_field in old_props.items():
        field = _join(path, name)
        if name not in new_props:
            problems.append(f"{field}: removed")
            continue
        if name in old_required and name not in new_required:
            problems.append(f"{field}: no longer required")
        elif name not in old_required and name in new_required:
            problems.append(f"{field}: became required")
        _compare(old_field, new_props[name], field, old_root, new_root, problems, seen)
    for name in new_props:
        if name not in old_props and name in new_required:
            problems.append(f"{_join(path, name)}: new required field")
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        _compare(old_extra, new_extra, f"{path}.*", old_root, new_root, problems, seen)
    elif isinstance(old_extra, dict) != isinstance(new_extra, dict) and (
        old_extra is not False and new_extra is not False
    ):
        problems.append(f"{path or '(root)'}: the values of the map changed")
    elif isinstance(old_extra, dict) and new_extra is False:
        problems.append(f"{path or '(root)'}: no longer a map")
    old_items, new_items = old.get("items"), new.get("items")
    if isinstance(old_items, dict) and isinstance(new_items, dict):
        _compare(old_items, new_items, f"{path}[]", old_root, new_root, problems, seen)
