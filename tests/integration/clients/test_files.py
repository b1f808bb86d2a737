"""Documents (``/api/v1/files``) in the embedded mode (every service in one process): on local
disk with SQLite, and in a real S3-compatible store (SeaweedFS, started by deploy/local) with
PostgreSQL. Upload, list, metadata with a short-lived link, the bytes through that link,
delete; the scope of the owner's client; the size and type limits; nothing left in the store
when the unit of work does not commit; the owner of another service (an interaction) resolved
through it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.clients.handlers.files import sweep_orphans
from services.clients.settings import ClientsSettings
from services.embedded import embedded_app
from shared.files import ObjectStore, object_key
from shared.runtime import ServiceRuntime
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings
from tests.support.servers import fresh_service_databases, s3_server

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"  # 2 KiB
MAX_BYTES = 64 * 1024


@dataclass
class Orbit:
    http: httpx.AsyncClient
    clients: ServiceRuntime
    objects: ObjectStore
    mode: str

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        response = await self.http.post(path, json=body, headers=headers)
        assert response.status_code == 201, f"{path}: {response.text}"
        return response.json()

    async def upload(
        self,
        headers: dict[str, str],
        owner_type: str,
        owner_id: str,
        content: bytes = PDF,
        name: str = "contract.pdf",
        content_type: str = "application/pdf",
    ) -> httpx.Response:
        return await self.http.post(
            "/api/v1/files",
            headers=headers,
            data={"owner_type": owner_type, "owner_id": owner_id},
            files={"file": (name, content, content_type)},
        )

    async def download(self, url: str) -> httpx.Response:
        """The link as a browser follows it: the service's own path, or the store's URL."""
        if url.startswith("/"):
            return await self.http.get(url)
        async with httpx.AsyncClient() as outside:
            return await outside.get(url)

    async def objects_now(self) -> list[str]:
        return await self.objects.keys_before(datetime.now(UTC) + timedelta(minutes=5))


@pytest.fixture(params=["local-sqlite", "s3-postgresql"])
async def orbit(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Orbit]:
    async with AsyncExitStack() as stack:
        # Every other body is small: a document above ORBIT_MAX_BODY_BYTES is still taken.
        values: dict[str, Any] = {
            "data_dir": str(tmp_path),
            "files_max_bytes": MAX_BYTES,
            "max_body_bytes": 1024,
        }
        if request.param == "s3-postgresql":
            s3 = s3_server()
            values |= await fresh_service_databases(stack, "files")
            values |= {
                "files_backend": "s3",
                "files_endpoint": s3.endpoint,
                "files_access_key": s3.access_key,
                "files_secret_key": s3.secret_key,
                # One bucket (a SeaweedFS collection, with volumes of its own) for every
                # test, a folder of its own in it: its objects are the test's.
                "files_bucket": "orbit-tests",
                "files_prefix": f"{uuid.uuid4().hex}/",
            }
        settings = ClientsSettings(**test_settings().model_dump() | values)
        app = embedded_app(settings)
        http = await stack.enter_async_context(running(app))
        yield Orbit(http, runtime_of(app, "clients"), settings.object_store(), request.param)


async def portfolio(orbit: Orbit) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """Two managers (their headers) and a client of the first."""
    mia = await orbit.post("/api/v1/staff", {"name": "Mia", "email": "mia@x.example"}, ADMIN)
    tom = await orbit.post("/api/v1/staff", {"name": "Tom", "email": "tom@x.example"}, ADMIN)
    client = await orbit.post(
        "/api/v1/clients", {"name": "Acme", "account_manager_id": mia["id"]}, ADMIN
    )
    return auth(mia["id"], "manager"), auth(tom["id"], "manager"), client


async def test_upload_list_download_delete(orbit: Orbit) -> None:
    as_mia, _, client = await portfolio(orbit)
    uploaded = await orbit.upload(as_mia, "client", client["id"], name="../Договор №1.pdf")
    assert uploaded.status_code == 201, uploaded.text
    stored = uploaded.json()
    assert stored["client_id"] == client["id"]
    assert (stored["filename"], stored["content_type"], stored["size"]) == (
        "Договор №1.pdf",
        "application/pdf",
        len(PDF),
    )
    listed = await orbit.http.get(
        "/api/v1/files", headers=as_mia, params={"owner_type": "client", "owner_id": client["id"]}
    )
    assert [f["id"] for f in listed.json()["items"]] == [stored["id"]]

    found = (await orbit.http.get(f"/api/v1/files/{stored['id']}", headers=as_mia)).json()
    assert found["download_expires_at"] > found["created_at"]
    # The store's presigned URL, or the service's own signed path on local disk.
    assert found["download_url"].startswith(("http://", "/")[orbit.mode == "local-sqlite"])
    content = await orbit.download(found["download_url"])
    assert content.status_code == 200, content.text
    assert content.content == PDF
    assert "attachment" in content.headers["content-disposition"]
    assert await orbit.objects_now() == [object_key(uuid.UUID(stored["id"]))]

    deleted = await orbit.http.delete(f"/api/v1/files/{stored['id']}", headers=as_mia)
    assert deleted.status_code == 204
    gone = await orbit.http.get(f"/api/v1/files/{stored['id']}", headers=as_mia)
    assert gone.status_code == 404
    assert await orbit.objects_now() == []
    assert (await orbit.download(found["download_url"])).status_code in (403, 404)


async def test_another_managers_client_s_files_are_not_found(orbit: Orbit) -> None:
    as_mia, as_tom, client = await portfolio(orbit)
    stored = (await orbit.upload(as_mia, "client", client["id"])).json()
    for response in (
        await orbit.http.get(f"/api/v1/files/{stored['id']}", headers=as_tom),
        await orbit.http.delete(f"/api/v1/files/{stored['id']}", headers=as_tom),
        await orbit.upload(as_tom, "client", client["id"]),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
    listed = await orbit.http.get("/api/v1/files", headers=as_tom)
    assert listed.json()["items"] == []
    # Nothing but Mia's document was written (the refused upload left no object).
    assert await orbit.objects_now() == [object_key(uuid.UUID(stored["id"]))]


async def test_limits_and_owners(orbit: Orbit) -> None:
    as_mia, _, client = await portfolio(orbit)
    cases = [
        (dict(content=b"x" * (MAX_BYTES + 1)), 413),
        (dict(name="page.html", content_type="text/html"), 415),
        (dict(content=b""), 422),
    ]
    for extra, status in cases:
        response = await orbit.upload(as_mia, "client", client["id"], **extra)  # type: ignore[arg-type]
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    unknown = await orbit.upload(as_mia, "invoice", str(uuid.uuid4()))
    assert unknown.status_code == 404, unknown.text
    wrong_type = await orbit.upload(as_mia, "planet", client["id"])
    assert wrong_type.status_code == 422, wrong_type.text
    assert await orbit.objects_now() == []


async def test_an_upload_that_is_not_committed_leaves_no_object(orbit: Orbit) -> None:
    as_mia, _, client = await portfolio(orbit)
    # The row's insert fails (a constraint of the database refuses every document), after
    # the object was written.
    async with orbit.clients.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("ALTER TABLE files ADD CONSTRAINT no_documents CHECK (size < 0)")
            )
        else:
            await connection.execute(
                text(
                    "CREATE TRIGGER no_documents BEFORE INSERT ON files "
                    "BEGIN SELECT RAISE(ABORT, 'no documents'); END"
                )
            )
    refused = await orbit.upload(as_mia, "client", client["id"])
    assert refused.status_code == 409, refused.text
    assert await orbit.objects_now() == []


async def test_orphans_are_swept(orbit: Orbit) -> None:
    as_mia, _, client = await portfolio(orbit)
    kept = (await orbit.upload(as_mia, "client", client["id"])).json()
    orphan = object_key(uuid.uuid4())  # an upload cut short between its object and its row
    await orbit.objects.put(orphan, b"left over", "text/plain")
    # The store's own times (the real clock): everything written so far is old enough.
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await sweep_orphans(orbit.clients.uow, orbit.objects, later) == 1
    assert await orbit.objects_now() == [object_key(uuid.UUID(kept["id"]))]


async def test_a_document_of_an_interaction(orbit: Orbit) -> None:
    """Its client is the interaction's, which the interactions service names (in this
    process); the scope follows it."""
    as_mia, as_tom, client = await portfolio(orbit)
    now = orbit.clients.clock.now()

    interaction = await orbit.post(
        "/api/v1/interactions",
        {
            "client_id": client["id"],
            "type": "meeting",
            "direction": "outbound",
            "occurred_at": (now - timedelta(hours=1)).isoformat(),
        },
        as_mia,
    )
    uploaded = await orbit.upload(
        as_mia, "interaction", interaction["id"], name="minutes.txt", content_type="text/plain"
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["client_id"] == client["id"]
    mine = {"owner_type": "interaction", "owner_id": interaction["id"]}
    listed = await orbit.http.get("/api/v1/files", headers=as_mia, params=mine)
    assert [f["id"] for f in listed.json()["items"]] == [uploaded.json()["id"]]
    assert (await orbit.http.get("/api/v1/files", headers=as_tom, params=mine)).json()[
        "items"
    ] == []
    refused = await orbit.upload(as_tom, "interaction", interaction["id"])
    assert refused.status_code == 404, refused.text
