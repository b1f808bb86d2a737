"""The trail of the notification rules (``GET /api/v1/rules/audit[?department=]``): each
replacement writes a row per event type whose rule changed (old and new rule), with its
author and request id, in its own unit of work; admins read every scope's, a head the global
rules' and their own department's."""

from __future__ import annotations

from typing import Any

from tests.integration.notifications.helpers import ADMIN, Notif

BREACHED = "orbit.interactions.sla.breached.v1"
OVERDUE = "orbit.billing.invoice.overdue.v1"


def rule(event_type: str, **more: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "recipients": ["account_manager"],
        "channels": ["in_app"],
        "severity": "warning",
        "escalate_after": None,
    } | more


async def trail(notif: Notif, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = await notif.http.get("/api/v1/rules/audit", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_departments_rules_changed_leave_their_trail(any_notif: Notif) -> None:
    notif = any_notif
    head = await notif.staff("Hanna", role="head")  # of "sales" (the helpers' department)
    manager = await notif.staff("Ida", head=head)
    scope = {"department": "sales"}
    assert await trail(notif, head.headers, **scope) == []

    first = [rule(BREACHED), rule(OVERDUE, severity="critical")]
    saved = await notif.http.put(
        "/api/v1/rules",
        headers=head.headers | {"X-Request-ID": "req-rules-1"},
        params=scope,
        json=first,
    )
    assert saved.status_code == 200, saved.text
    second = [rule(BREACHED, recipients=["account_manager", "head"])]
    saved = await notif.http.put(
        "/api/v1/rules",
        headers=ADMIN | {"X-Request-ID": "req-rules-2"},
        params=scope,
        json=second,
    )
    assert saved.status_code == 200, saved.text
    # saving the same rules again changes nothing: no row
    again = await notif.http.put("/api/v1/rules", headers=ADMIN, params=scope, json=second)
    assert again.status_code == 200

    rows = await trail(notif, head.headers, **scope)
    body = {k: v for k, v in first[0].items() if k != "event_type"}
    assert [
        (r["entity"], r["entity_id"], r["field"], r["old"], r["new"], r["request_id"]) for r in rows
    ] == [
        ("rules", "department:sales", BREACHED, None, body, "req-rules-1"),
        (
            "rules",
            "department:sales",
            OVERDUE,
            None,
            body | {"severity": "critical"},
            "req-rules-1",
        ),
        (
            "rules",
            "department:sales",
            BREACHED,
            body,
            body | {"recipients": ["account_manager", "head"]},
            "req-rules-2",
        ),
        (
            "rules",
            "department:sales",
            OVERDUE,
            body | {"severity": "critical"},
            None,
            "req-rules-2",
        ),
    ]
    actors = [r["actor_id"] for r in rows]
    assert actors[:2] == [str(head.id)] * 2 and actors[2:] != actors[:2]
    assert all(r["at"] for r in rows)
    assert await trail(notif, ADMIN, **scope) == rows
    # the global rules keep a trail of their own (the contract's defaults before a save)
    assert await trail(notif, ADMIN) == []

    # a head reads the global trail and their own department's; a manager neither
    assert await trail(notif, head.headers) == []
    other = await notif.http.get(
        "/api/v1/rules/audit", headers=head.headers, params={"department": "north"}
    )
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("application/problem+json")
    for params in (scope, {}):
        refused = await notif.http.get(
            "/api/v1/rules/audit", headers=manager.headers, params=params
        )
        assert refused.status_code == 403, params

    # paged, oldest first
    page = await notif.http.get("/api/v1/rules/audit", headers=ADMIN, params=scope | {"limit": "3"})
    assert [r["id"] for r in page.json()["items"]] == [r["id"] for r in rows[:3]]
    cursor = page.json()["next_cursor"]
    rest = await notif.http.get(
        "/api/v1/rules/audit", headers=ADMIN, params=scope | {"cursor": cursor}
    )
    assert [r["id"] for r in rest.json()["items"]] == [rows[3]["id"]]


async def test_the_global_rules_trail_starts_from_the_contracts_defaults(notif: Notif) -> None:
    defaults = (await notif.http.get("/api/v1/rules", headers=ADMIN)).json()
    kept = [r for r in defaults if r["event_type"] != OVERDUE]
    changed = [r | {"severity": "info"} if r["event_type"] == BREACHED else r for r in kept]
    response = await notif.http.put("/api/v1/rules", headers=ADMIN, json=changed)
    assert response.status_code == 200, response.text
    rows = await trail(notif, ADMIN)
    assert [(r["entity_id"], r["field"]) for r in rows] == [
        ("global", BREACHED),
        ("global", OVERDUE),
    ]
    assert (rows[0]["old"]["severity"], rows[0]["new"]["severity"]) == ("critical", "info")
    assert rows[1]["old"]["escalate_after"] == "P1D" and rows[1]["new"] is None
    # a refused replacement (422) leaves no row: the change and its trail are one unit
    bad = await notif.http.put("/api/v1/rules", headers=ADMIN, json=[{"event_type": "x"}])
    assert bad.status_code == 422
    assert len(await trail(notif, ADMIN)) == 2
