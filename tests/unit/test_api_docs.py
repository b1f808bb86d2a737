"""The documents a newcomer and an integrator read, against the code: docs/openapi.json (the
merged OpenAPI of the four services, valid per openapi-spec-validator), docs/api.md (every
operation of it, every event), docs/asyncapi.yaml (valid per the official AsyncAPI 3.0.0
JSON Schema), and a README that sends nobody outside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from services.apidoc import API_MD_FILE, MARKER, OPENAPI_FILE, api_docs_drift, openapi_document
from services.schemas import ASYNCAPI_FILE, event_models

ROOT = Path(__file__).resolve().parents[2]
# The AsyncAPI 3.0.0 JSON Schema (draft-07), vendored from the npm package @asyncapi/specs
# 6.11.1, file schemas/3.0.0-without-$id.json (Apache-2.0): see tests/data/README.md.
ASYNCAPI_SCHEMA = ROOT / "tests/data/asyncapi-3.0.0.schema.json"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(json.loads((ROOT / OPENAPI_FILE).read_text()))


def test_checked_in_api_documents_match_the_code() -> None:
    problems = api_docs_drift(ROOT)
    assert not problems, "run `make openapi` and commit the result:\n" + "\n".join(problems)


def test_openapi_json_is_a_valid_openapi_document(document: dict[str, Any]) -> None:
    validate(document)  # raises OpenAPIValidationError
    assert document["openapi"].startswith("3.1")


def test_the_merged_document_is_the_four_services(document: dict[str, Any]) -> None:
    paths = set(document["paths"])
    for owned in ("/api/v1/clients", "/api/v1/interactions", "/api/v1/invoices"):
        assert owned in paths
    assert any(p.startswith("/api/v1/notifications") for p in paths)
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds are unique across the services"


def test_schema_names_read_well_for_client_generators(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    assert "ClientPage" in names and "StaffPage" in names
    assert "BillingReportOut" in names and "InteractionsReportOut" in names
    unreadable = [n for n in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n)]
    assert not unreadable, unreadable


def test_api_md_lists_every_operation_schema_and_event(document: dict[str, Any]) -> None:
    text = (ROOT / API_MD_FILE).read_text()
    head, _, reference = text.partition(MARKER)
    assert reference, "docs/api.md lost its marker line"
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                assert f"#### `{method.upper()} {path}`" in reference, (method, path)
                assert f"`{operations[method]['operationId']}`" in reference
    for name in document["components"]["schemas"]:
        assert f"#### {name}\n" in reference, name
    for event_type in event_models():
        assert f"`{event_type}`" in reference, event_type
    # The hand-written half names every service and how to generate a typed client.
    assert "openapi-typescript" in head and "structured mode" in head


def test_docs_and_readme_point_only_inside_the_repository() -> None:
    for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        text = path.read_text()
        assert "../shared" not in text and "shared/CONTRACT" not in text, path
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"`((?:docs|deploy)/[\w./-]+)`", readme):
        assert (ROOT / target).exists(), f"README names {target}, which is not in the repo"


def test_asyncapi_document_is_valid_against_the_official_asyncapi_3_schema() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    assert schema["title"] == "AsyncAPI 3.0.0 schema."
    document = yaml.safe_load((ROOT / ASYNCAPI_FILE).read_text())
    assert document["asyncapi"] == "3.0.0"
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:10])


def test_openapi_document_comes_from_the_embedded_app() -> None:
    # The same object the embedded server serves at /openapi.json.
    assert openapi_document()["info"]["title"].startswith("Orbit (embedded")


def test_component_names_are_made_readable_and_refs_follow() -> None:
    from shared.app import readable_component_names

    page_ref = {"$ref": "#/components/schemas/Page_ThingOut_"}
    report_ref = {"$ref": "#/components/schemas/services__a__api__ReportOut"}
    body = {"application/json": {"schema": page_ref}}
    schema: dict[str, Any] = {
        "paths": {"/x": {"get": {"responses": {"200": {"content": body}}}}},
        "components": {
            "schemas": {
                "Page_ThingOut_": {
                    "title": "Page[ThingOut]",
                    "properties": {"items": {"items": report_ref}},
                },
                "services__a__api__ReportOut": {"title": "ReportOut"},
                "services__b__api__ReportOut": {"title": "ReportOut"},
            }
        },
    }
    renamed = readable_component_names(schema)
    assert set(renamed["components"]["schemas"]) == {"ThingPage", "AReportOut", "BReportOut"}
    assert renamed["components"]["schemas"]["ThingPage"]["title"] == "ThingPage"
    ref = renamed["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/ThingPage"}
    items = renamed["components"]["schemas"]["ThingPage"]["properties"]["items"]["items"]
    assert items == {"$ref": "#/components/schemas/AReportOut"}
    # A rename that would collide with an existing name keeps FastAPI's names.
    schema["components"]["schemas"]["ThingPage"] = {}
    assert "Page_ThingOut_" in readable_component_names(schema)["components"]["schemas"]
