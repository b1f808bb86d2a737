"""/openapi.json documents the problem+json errors of every operation (shared/app.py), so a
frontend's generated client knows the error shape: 400, 401, 403, 404, 409, 422, 503 with the
Problem schema, and no FastAPI HTTPValidationError left."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.embedded import standalone_app
from shared.app import add_problem_responses
from shared.errors import Problem, install_error_handlers
from shared.settings import SERVICES
from tests.support.apps import ADMIN, running, test_settings

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


async def openapi(service: str) -> dict[str, Any]:
    app = standalone_app(service, test_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def problem_content(operation: dict[str, Any], status: int) -> dict[str, Any]:
    response = operation["responses"].get(str(status))
    assert response, f"no {status} in {sorted(operation['responses'])}"
    assert response["description"]
    return dict(response["content"])


async def test_clients_staff_post_and_client_get_document_their_problems() -> None:
    schema = await openapi("clients")
    create_staff = schema["paths"]["/api/v1/staff"]["post"]
    assert problem_content(create_staff, 422) == {
        "application/problem+json": {"schema": PROBLEM_REF}
    }
    get_client = schema["paths"]["/api/v1/clients/{client_id}"]["get"]
    assert problem_content(get_client, 404) == {"application/problem+json": {"schema": PROBLEM_REF}}
    ready = schema["paths"]["/readyz"]["get"]["responses"]
    assert ready["503"]["content"] == ready["200"]["content"]
    unavailable = get_client["responses"]["503"]
    assert unavailable["headers"]["Retry-After"]["schema"] == {"type": "integer"}

    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= problem["properties"].keys()
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(schema["components"]["schemas"]["FieldError"]["required"]) == {"loc", "msg"}
    text = json.dumps(schema)
    assert "HTTPValidationError" not in text and '/ValidationError"' not in text


@pytest.mark.parametrize("service", SERVICES)
async def test_every_api_operation_of_every_service_lists_its_problems(service: str) -> None:
    schema = await openapi(service)
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue  # /healthz, /readyz: plain JSON
        for method, operation in operations.items():
            statuses = {int(s) for s in operation["responses"] if s[0] in "45"}
            for status in statuses:
                assert problem_content(operation, status) == {
                    "application/problem+json": {"schema": PROBLEM_REF}
                }, (method, path, status)
            # authenticated: every API call but a calendar feed, whose URL holds its credential
            expected = {401, 403, 503} if operation.get("security") else set()
            if operation.get("parameters") or "requestBody" in operation:
                expected.add(422)  # input that can be invalid
            if "{" in path:
                expected.add(404)
            if method in ("post", "put", "patch", "delete"):
                expected.add(409)
            assert expected <= statuses, (method, path, sorted(statuses))


def idempotency_key(operation: dict[str, Any]) -> dict[str, Any] | None:
    found = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
    return found[0] if found else None


@pytest.mark.parametrize("service", SERVICES)
async def test_a_400_is_documented_where_a_body_or_an_idempotency_key_is_taken(
    service: str,
) -> None:
    schema = await openapi(service)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            takes = "requestBody" in operation or idempotency_key(operation) is not None
            assert ("400" in operation["responses"]) == takes, (method, path)
            if takes:
                assert problem_content(operation, 400) == {
                    "application/problem+json": {"schema": PROBLEM_REF}
                }


async def test_the_idempotency_key_header_documents_its_bounds() -> None:
    schema = await openapi("clients")
    create_client = schema["paths"]["/api/v1/clients"]["post"]
    header = idempotency_key(create_client)
    assert header is not None and header["in"] == "header" and not header["required"]
    assert {k: header["schema"][k] for k in ("type", "minLength", "maxLength")} == {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
    }
    assert "400" in create_client["responses"]


async def test_idempotency_keys_out_of_the_documented_bounds_are_the_documented_400(
    tmp_path: Any,
) -> None:
    app = standalone_app("clients", test_settings(data_dir=tmp_path), migrate_on_start=True)
    async with running(app) as http:
        for key, status in [("", 400), ("k" * 201, 400), ("k" * 200, 201), ("k", 201)]:
            response = await http.post(
                "/api/v1/clients",
                json={"name": f"Acme {len(key)}"},
                headers={**ADMIN, "Idempotency-Key": key},
            )
            assert response.status_code == status, (len(key), response.text)
            if status == 400:
                assert response.headers["content-type"] == "application/problem+json"


def test_a_declared_response_keeps_its_headers_and_gets_the_problem_schema() -> None:
    app = FastAPI()

    @app.get("/things/{n}", responses={404: {"description": "gone", "headers": {"X-A": {}}}})
    async def thing(n: int) -> dict[str, int]:
        return {"n": n}

    schema = add_problem_responses(app.openapi())
    responses = schema["paths"]["/things/{n}"]["get"]["responses"]
    assert responses["404"]["headers"] == {"X-A": {}}
    assert responses["404"]["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}
    assert "HTTPValidationError" not in json.dumps(schema)


async def test_the_problem_schema_matches_what_the_handlers_send() -> None:
    app = FastAPI()
    install_error_handlers(app)

    class Body(BaseModel):
        n: int

    @app.post("/things")
    async def create(body: Body) -> Body:
        return body

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        invalid = await http.post("/things", json={"n": "x"})
        missing = await http.get("/nowhere")
    for response in (invalid, missing):
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert Problem.model_validate(body).model_dump(exclude_defaults=True) == body
