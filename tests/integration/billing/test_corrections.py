"""Corrections in billing, each with a reason in its event (the audit trail): estimates
edited while draft, rejected, expired past ``valid_until``; payments reversed; credit notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.billing.helpers import NOW, Api
from tests.support.apps import ADMIN

LINE = {"description": "Design", "quantity": "2", "unit_price": "100", "tax_rate": "0.2"}


async def _estimate(api: Api, client: str, **extra: Any) -> dict[str, Any]:
    body = {"client_id": client, "title": "Phase 1", "currency": "EUR", "lines": [LINE], **extra}
    return dict(await api.post("/api/v1/estimates", body, expect=201))


async def test_an_estimate_is_edited_while_draft_rejected_with_a_reason_and_expires(
    any_api: Api,
) -> None:
    client = await any_api.client("Acme", None)
    today = NOW.date()
    draft = await _estimate(any_api, client, valid_until=str(today + timedelta(days=7)))
    path = f"/api/v1/estimates/{draft['id']}"
    edited = await any_api.http.patch(
        path, json={"lines": [{**LINE, "quantity": "3"}], "title": "Phase 1b"}, headers=ADMIN
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["total"], edited.json()["title"]) == ("360.00", "Phase 1b")
    rejected = await any_api.post(f"{path}/reject", {"reason": "too dear"}, expect=200)
    assert (rejected["status"], rejected["rejected_reason"]) == ("rejected", "too dear")
    late = await any_api.http.patch(path, json={"title": "x"}, headers=ADMIN)
    assert late.status_code == 409
    assert (await any_api.http.post(f"{path}/approve", headers=ADMIN)).status_code == 409
    assert (
        await any_api.http.post(f"{path}/reject", json={"reason": ""}, headers=ADMIN)
    ).status_code == 422

    # valid_until enforced: past it a draft shows (and lists) as expired and cannot be approved
    old = await _estimate(any_api, client, valid_until=str(today + timedelta(days=1)))
    any_api.clock.advance(timedelta(days=2))
    old_path = f"/api/v1/estimates/{old['id']}"
    shown = (await any_api.http.get(old_path, headers=ADMIN)).json()
    assert shown["status"] == "expired"
    listed = (await any_api.http.get("/api/v1/estimates?status=expired", headers=ADMIN)).json()
    assert [e["id"] for e in listed["items"]] == [old["id"]]
    drafts = (await any_api.http.get("/api/v1/estimates?status=draft", headers=ADMIN)).json()
    assert drafts["items"] == []
    refused = await any_api.http.post(f"{old_path}/approve", headers=ADMIN)
    assert refused.status_code == 409 and "expired" in refused.json()["detail"]
    # a later valid_until revives it
    revived = await any_api.http.patch(
        old_path, json={"valid_until": str(today + timedelta(days=30))}, headers=ADMIN
    )
    assert revived.json()["status"] == "draft"
    approved = await any_api.post(f"{old_path}/approve", None, expect=200)
    assert approved["status"] == "approved"
    await any_api.post(f"{old_path}/invoice", None, expect=201)

    events = {
        kind: await any_api.events(f"orbit.billing.estimate.{kind}.v1")
        for kind in ("created", "updated", "approved", "rejected", "invoiced")
    }
    assert len(events["created"]) == 2
    assert [e["changed"] for e in events["updated"]] == [["lines", "title"], ["valid_until"]]
    assert events["rejected"][0]["reason"] == "too dear"
    assert events["rejected"][0]["client_id"] == client
    assert [e["estimate_id"] for e in events["approved"]] == [old["id"]]
    assert events["invoiced"][0]["status"] == "invoiced"
