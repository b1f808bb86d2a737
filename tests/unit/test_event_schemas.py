"""The checked-in event schemas (docs/events/, docs/asyncapi.yaml) against the event models:
a published vN stays compatible, and the files are what the models generate."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
import yaml

from services.schemas import (
    ASYNCAPI_FILE,
    EVENTS_DIR,
    asyncapi_document,
    breaking_changes,
    check_schemas,
    compatibility_problems,
    drift,
    event_models,
    event_schema,
    event_schemas,
    write_schemas,
)
from shared.messaging.envelope import Event, dlq_topic_for, topic_for
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]

# --- the checked-in files ------------------------------------------------------------------


def test_published_event_types_stay_backward_compatible() -> None:
    problems = breaking_changes(ROOT)
    assert not problems, (
        "These changes break published event types: keep the vN model as it is and add a "
        "...V<N+1> model (a new type) instead; see docs/events/README.md.\n  "
        + "\n  ".join(problems)
    )


def test_checked_in_schemas_match_the_models() -> None:
    problems = drift(ROOT)
    assert not problems, (
        "docs/events/*.json or docs/asyncapi.yaml differ from the event models: run "
        "`make schemas` and commit the result.\n" + "\n".join(problems)
    )


def test_every_event_type_has_its_schema_and_the_contract_shape() -> None:
    models = event_models()
    assert models, "no event models found"
    assert set(event_schemas()) == set(models)
    for event_type, model in models.items():
        assert (ROOT / EVENTS_DIR / f"{event_type}.json").is_file()
        assert model.__module__.startswith(f"services.{model.service()}.")
        schema = event_schema(model)
        assert schema["$id"] == schema["title"] == event_type
        assert schema["properties"]["type"]["const"] == event_type
        assert schema["properties"]["source"]["const"] == f"orbit/{model.service()}"
        assert schema["properties"]["data"] == {"$ref": f"#/$defs/{model.__name__}"}


def test_asyncapi_has_a_channel_and_a_dead_letter_channel_per_service() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert yaml.safe_load((ROOT / ASYNCAPI_FILE).read_text()) == document
    channels = document["channels"]
    for service in SERVICES:
        assert channels[topic_for(service)]["address"] == topic_for(service)
        assert channels[dlq_topic_for(service)]["address"] == dlq_topic_for(service)
    for event_type, model in event_models().items():
        channel = channels[topic_for(model.service())]
        assert event_type in channel["messages"]
        payload = document["components"]["messages"][event_type]["payload"]
        assert payload["properties"]["type"]["const"] == event_type
        name = payload["properties"]["data"]["$ref"].rsplit("/", 1)[1]
        assert name in document["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in refs(v)]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    for ref in refs(document):  # every local reference resolves
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


def test_write_then_check_round_trip(tmp_path: Path) -> None:
    assert check_schemas(tmp_path) == [f"{p}: missing" for p in _generated(tmp_path)]
    written = write_schemas(tmp_path)
    assert len(written) == len(event_models()) + 1
    assert check_schemas(tmp_path) == []
    assert write_schemas(tmp_path) == []  # deterministic: nothing to rewrite

    first = sorted((tmp_path / EVENTS_DIR).glob("*.json"))[0]
    first.write_text(first.read_text().replace('"title"', '"Title"', 1))
    stale = tmp_path / EVENTS_DIR / "orbit.clients.gone.away.v1.json"
    stale.write_text(first.read_text())
    problems = check_schemas(tmp_path)
    assert any(p.startswith(f"{first.relative_to(tmp_path)}: out of date") for p in problems)
    assert "breaking: orbit.clients.gone.away.v1: published, but no event model has this type" in (
        problems
    )
    assert f"{stale.relative_to(tmp_path)}: no event model has this type any more" in problems
    write_schemas(tmp_path)
    assert not stale.exists()
    assert check_schemas(tmp_path) == []


def _generated(root: Path) -> list[Path]:
    return [EVENTS_DIR / f"{t}.json" for t in event_schemas()] + [ASYNCAPI_FILE]


def test_files_are_sorted_pretty_json_with_a_trailing_newline() -> None:
    for path in (ROOT / EVENTS_DIR).glob("*.json"):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


# --- the compatibility comparison ----------------------------------------------------------


def obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


STR = {"type": "string"}
INT = {"type": "integer"}
UUID = {"type": "string", "format": "uuid"}
NULLABLE_STR = {"anyOf": [STR, {"type": "null"}]}
BASE = obj(client_id=UUID, name=STR, amount=INT, status={"type": "string", "enum": ["a", "b"]})


def with_props(schema: dict[str, Any], required: list[str] | None = None, **changes: Any) -> Any:
    properties = {**schema["properties"], **changes}
    properties = {k: v for k, v in properties.items() if v is not None}
    return obj(required, **properties)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (with_props(BASE, name=None), ["name: removed"]),
        (with_props(BASE, amount=STR), ["amount: type changed from integer to string"]),
        (with_props(BASE, client_id=STR), ["client_id: type changed from string(uuid) to string"]),
        (
            with_props(BASE, name=NULLABLE_STR),
            ["name: type changed from string to null | string"],
        ),
        (with_props(BASE, due=STR), ["due: new required field"]),
        (
            with_props(BASE, status={"type": "string", "enum": ["a"]}),
            ["status: no longer allows b"],
        ),
        (
            with_props(BASE, required=["client_id", "name", "status"]),
            ["amount: no longer required"],
        ),
    ],
    ids=["removed", "type", "format", "nullable", "new-required", "enum-narrowed", "optional"],
)
def test_breaking_changes_are_found(new: dict[str, Any], expected: list[str]) -> None:
    assert compatibility_problems(BASE, new) == expected


@pytest.mark.parametrize(
    "new",
    [
        BASE,
        with_props(BASE, required=[*BASE["required"]], note=NULLABLE_STR),  # new optional field
        with_props(BASE, required=[*BASE["required"]], count={"type": "integer", "default": 0}),
        with_props(BASE, status={"type": "string", "enum": ["a", "b", "c"]}),  # enum widened
        with_props(BASE, name={"type": "string", "title": "Name", "description": "shown"}),
    ],
    ids=["same", "optional-nullable", "optional-default", "enum-widened", "title"],
)
def test_compatible_changes_pass(new: dict[str, Any]) -> None:
    assert compatibility_problems(BASE, new) == []


def test_new_required_field_stays_breaking_when_optional_became_required() -> None:
    old = obj(["a"], a=STR, b=STR)
    assert compatibility_problems(old, obj(["a", "b"], a=STR, b=STR)) == ["b: became required"]


def test_nested_models_are_compared_through_refs_whatever_their_names() -> None:
    old = {
        **obj(sla={"$ref": "#/$defs/SlaV1"}),
        "$defs": {
            "SlaV1": obj(hours=INT, calendar={"$ref": "#/$defs/CalendarV1"}),
            "CalendarV1": obj(timezone=STR, days={"type": "array", "items": STR}),
        },
    }
    renamed = {
        **obj(sla={"$ref": "#/$defs/Sla"}),
        "$defs": {
            "Sla": obj(hours=INT, calendar={"$ref": "#/$defs/Calendar"}),
            "Calendar": obj(timezone=STR, days={"type": "array", "items": STR}),
        },
    }
    assert compatibility_problems(old, renamed) == []
    inlined = obj(
        sla=obj(hours=INT, calendar=obj(timezone=STR, days={"type": "array", "items": STR}))
    )
    assert compatibility_problems(old, inlined) == []
    broken = {
        **obj(sla={"$ref": "#/$defs/Sla"}),
        "$defs": {
            "Sla": obj(hours=INT, calendar={"$ref": "#/$defs/Calendar"}),
            "Calendar": obj(days={"type": "array", "items": INT}),
        },
    }
    assert compatibility_problems(old, broken) == [
        "sla.calendar.timezone: removed",
        "sla.calendar.days[]: type changed from string to integer",
    ]


def test_unions_and_maps() -> None:
    hours = {
        "anyOf": [
            {"const": "24x7", "type": "string"},
            {"type": "object", "additionalProperties": {"type": "array", "items": STR}},
        ]
    }
    assert compatibility_problems(obj(h=hours), obj(h=hours)) == []
    no_247 = {"anyOf": [{"type": "string", "enum": ["24x5"]}, hours["anyOf"][1]]}
    assert compatibility_problems(obj(h=hours), obj(h=no_247)) == ["h: no longer allows 24x7"]
    ints = {
        "anyOf": [
            hours["anyOf"][0],
            {"type": "object", "additionalProperties": {"type": "array", "items": INT}},
        ]
    }
    assert compatibility_problems(obj(h=hours), obj(h=ints)) == [
        "h.*[]: type changed from string to integer"
    ]
    assert compatibility_problems(obj(h=hours), obj(h=STR)) == [
        "h: type changed from object | string to string"
    ]


class _ThingV1(Event):
    client_id: uuid.UUID
    state: Literal["open", "closed"]


class _ThingWithOptionalV1(_ThingV1):
    note: str | None = None


class _ThingWithRequiredV1(_ThingV1):
    due: int


class _ThingNarrowedV1(Event):
    client_id: uuid.UUID
    state: Literal["open"]


for _model in (_ThingV1, _ThingWithOptionalV1, _ThingWithRequiredV1, _ThingNarrowedV1):
    # Typed after the class is made, so none of them lands in the event registry.
    _model.TYPE = "orbit.schematest.thing.changed.v1"


def test_compatibility_of_real_model_schemas() -> None:
    old = event_schema(_ThingV1)
    assert old["properties"]["subject"]["description"].startswith("The client id")
    assert compatibility_problems(old, event_schema(_ThingWithOptionalV1)) == []
    assert compatibility_problems(old, event_schema(_ThingWithRequiredV1)) == [
        "data.due: new required field"
    ]
    assert compatibility_problems(old, event_schema(_ThingNarrowedV1)) == [
        "data.state: no longer allows closed"
    ]


def test_staff_events_are_keyed_by_staff_id() -> None:
    class StaffThingV1(Event):
        KEY_FIELD: ClassVar[str] = "staff_id"
        staff_id: uuid.UUID

    StaffThingV1.TYPE = "orbit.schematest.staff.changed.v1"
    schema = event_schema(StaffThingV1)
    assert schema["properties"]["subject"]["description"].startswith("The staff id")
    assert schema["properties"]["subject"]["format"] == "uuid"


def test_cli_refuses_to_overwrite_a_breaking_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.cli import main

    monkeypatch.setenv("ORBIT_ENV", "test")
    write_schemas(tmp_path)
    published = tmp_path / EVENTS_DIR / "orbit.clients.client.created.v1.json"
    schema = json.loads(published.read_text())
    # the published v1 had a required field the model no longer has
    data = next(d for d in schema["$defs"].values() if "client_id" in d.get("properties", {}))
    data["properties"]["legacy_code"] = {"type": "string"}
    data["required"].append("legacy_code")
    published.write_text(json.dumps(schema))
    before = published.read_text()

    assert main(["schemas", "--root", str(tmp_path)]) == 1
    assert published.read_text() == before
    assert main(["schemas", "--check", "--root", str(tmp_path)]) == 1
    assert main(["schemas", "--root", str(tmp_path), "--allow-breaking"]) == 0
    assert main(["schemas", "--check", "--root", str(tmp_path)]) == 0
