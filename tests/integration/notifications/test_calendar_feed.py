"""The staff's calendar feeds on the notifications service, on SQLite and PostgreSQL: the feed
a manager creates, served without a bearer token, read by two iCalendar implementations other
than the one that wrote it (Mozilla's ical.js under Node, tests/ical, pinned and installed with
``npm ci``; and ``recurring-ical-events`` expanding the recurrences): its events, their times
with the client's zone, the birthday recurring every year; a cancelled meeting, the head's
scope, a revoked or unknown feed (404).

Node.js is needed for the ical.js half: skipped where it is absent, except in CI
(``CI=true``), where that fails."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from tests.integration.notifications.helpers import ADMIN, NOW, Notif
from tests.integration.notifications.timeline_world import DAY, live, meeting
from tests.support.node import ICAL, npm_ci, require_node, run


def ical_js(feed: bytes, tmp_path: Path, since: date, until: date) -> list[dict[str, Any]]:
    """The events of ``feed`` as ical.js reads them (tests/ical/feed.mjs)."""
    require_node()
    npm_ci(ICAL)
    path = tmp_path / "feed.ics"
    path.write_bytes(feed)
    read = run(["node", "feed.mjs", str(path), f"{since}T00:00:00Z", f"{until}T00:00:00Z"], ICAL)
    assert read.returncode == 0, read.stderr
    return list(json.loads(read.stdout))


async def new_feed(notif: Notif, headers: dict[str, str]) -> dict[str, Any]:
    response = await notif.http.post("/api/v1/calendar/feeds", headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


async def served(notif: Notif, url: str) -> bytes:
    response = await notif.http.get(url)  # no Authorization: the token is the credential
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return response.content


async def test_the_served_feed_read_by_independent_parsers(
    any_notif: Notif, tmp_path: Path
) -> None:
    head = await any_notif.staff("Hana", role="head")
    manager = await any_notif.staff("Ann", head=head)
    other = await any_notif.staff("Olga")
    client_id = await any_notif.client("Initech", manager, timezone="Europe/Berlin")
    month = await live(any_notif, manager, client_id)

    feed = await new_feed(any_notif, manager.headers)
    assert feed["url"] == f"/api/v1/calendar/feeds/{feed['url'].split('/')[-1]}"
    assert feed["url"].endswith(".ics")
    body = await served(any_notif, feed["url"])

    since, until = NOW.date(), (NOW + 800 * DAY).date()
    events = {e["uid"].split("-")[0]: e for e in ical_js(body, tmp_path, since, until)}
    # the meeting Ann takes part in, her task, and of her client: the promised answer, the
    # contract's end, the unpaid invoice's due date, the contact's birthday
    assert sorted(events) == ["birthday", "contract", "invoice", "meeting", "request", "task"]
    review = events["meeting"]
    assert review["uid"] == f"meeting-{month.ids['meeting']}@orbit"
    assert review["zone"] == "Europe/Berlin"  # the client's zone, its VTIMEZONE in the feed
    assert review["start"] == (NOW + 6 * DAY).isoformat().replace("+00:00", ".000Z")
    end = NOW + 6 * DAY + timedelta(hours=1)
    assert review["end"] == end.isoformat().replace("+00:00", ".000Z")
    assert (review["sequence"], review["status"]) == (1, "CONFIRMED")
    assert review["summary"] == "Quarterly review (Initech)"
    assert events["request"]["start"] == (NOW + 2 * DAY).isoformat().replace("+00:00", ".000Z")
    assert events["task"]["summary"] == "Task due: Send the offer (Initech)"
    assert events["contract"]["start"] == (NOW + 200 * DAY).date().isoformat()
    assert events["invoice"]["start"] == (NOW - 2 * DAY).date().isoformat()
    # 29 February: every year, the 28th when the year has none
    birthday = events["birthday"]
    assert birthday["recurring"] and birthday["summary"] == "Birthday: Jane Roe (Initech)"
    expected = [
        f"{year}-02-{29 if year % 4 == 0 else 28}"
        for year in range(since.year, until.year + 1)
        if since <= date(year, 2, 28) < until
    ]
    assert birthday["occurrences"] == expected

    # recurring-ical-events (the icalendar parser with its own RRULE expansion) agrees
    calendar = Calendar.from_ical(body)
    days = [
        str(e.decoded("DTSTART"))
        for e in recurring_ical_events.of(calendar).between(since, until)
        if str(e["UID"]).startswith("birthday-")
    ]
    assert days == expected

    # the meeting cancelled: the same UID, a higher SEQUENCE, STATUS:CANCELLED
    await month.at(
        NOW,
        meeting(month, "cancelled", NOW + 6 * DAY, 2, status="cancelled", reason="Budget"),
    )
    again = ical_js(await served(any_notif, feed["url"]), tmp_path, since, until)
    (cancelled,) = [e for e in again if e["uid"].startswith("meeting-")]
    assert (cancelled["sequence"], cancelled["status"]) == (2, "CANCELLED")

    # the head: the client's dates, not Ann's meeting nor her task; another manager: nothing
    head_feed = await new_feed(any_notif, head.headers)
    head_events = ical_js(await served(any_notif, head_feed["url"]), tmp_path, since, until)
    assert sorted(e["uid"].split("-")[0] for e in head_events) == [
        "birthday",
        "contract",
        "invoice",
        "request",
    ]
    other_feed = await new_feed(any_notif, other.headers)
    assert ical_js(await served(any_notif, other_feed["url"]), tmp_path, since, until) == []

    # revoked by its owner alone; then (and for a token never issued) 404
    path = f"/api/v1/calendar/feeds/{feed['id']}"
    assert (await any_notif.http.delete(path, headers=other.headers)).status_code == 404
    assert (await any_notif.http.delete(path, headers=ADMIN)).status_code == 404
    assert (await any_notif.http.delete(path, headers=manager.headers)).status_code == 204
    assert (await any_notif.http.delete(path, headers=manager.headers)).status_code == 404
    for url in (feed["url"], f"/api/v1/calendar/feeds/{uuid.uuid4().hex}.ics"):
        gone = await any_notif.http.get(url)
        assert gone.status_code == 404
        assert gone.headers["content-type"].startswith("application/problem+json")
    assert (await any_notif.http.get(head_feed["url"])).status_code == 200
