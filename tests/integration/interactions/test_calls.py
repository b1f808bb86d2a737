"""Telephony: call records signed with Standard Webhooks (by the ``standardwebhooks`` library
itself) or Twilio's status callback, matched to a contact by its E.164 phone, turned into
callback requests and call interactions; unknown numbers kept unmatched and assigned; the
SLA report's missed calls and callback times. SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from services.clients.events import ContactUpdatedV1
from services.interactions.app import create_app
from services.interactions.domain.calls import twilio_signature
from services.interactions.settings import InteractionsSettings
from shared.clock import FixedClock
from tests.integration.interactions.helpers import NOW, Api, ClientRef, Person, iso
from tests.support.apps import running, runtime_of, test_settings

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_" + "C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
TWILIO_TOKEN = "twilio-test-auth-token"
TWILIO_URL = "https://orbit.example/api/v1/integrations/calls/twilio"
CALLS = "/api/v1/integrations/calls"
PHONE = "+49 30 1234567"
E164 = "+49301234567"
OFFICE_LINE = "+49302222222"


@pytest.fixture
async def calls_api(any_db_url: str) -> AsyncIterator[Api]:
    """The interactions app with one Standard Webhooks integration (``pbx``) and Twilio."""
    settings = InteractionsSettings(
        **test_settings(database_url=any_db_url).model_dump(),
        interactions_call_integrations={"pbx": SECRET},
        interactions_twilio_auth_token=TWILIO_TOKEN,
        interactions_twilio_webhook_url=TWILIO_URL,
    )
    app = create_app(settings, clock=FixedClock(NOW), migrate_on_start=True, workers=False)
    async with running(app) as http:
        runtime = runtime_of(app, "interactions")
        yield Api(http, runtime, runtime.clock)  # type: ignore[arg-type]


def signed(
    body: dict[str, Any], *, secret: str = SECRET, msg_id: str | None = None, age: float = 0
) -> tuple[str, dict[str, str]]:
    """The JSON body and the Standard Webhooks headers of it, signed ``age`` seconds ago on
    the wall clock (the library checks the timestamp against it)."""
    payload = json.dumps(body)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = datetime.now(UTC) - timedelta(seconds=age)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, payload),
        "content-type": "application/json",
    }
    return payload, headers


def record(api: Api, direction: str = "inbound", **given: Any) -> dict[str, Any]:
    outside, ours = PHONE, OFFICE_LINE
    return {
        "direction": direction,
        "from": outside if direction == "inbound" else ours,
        "to": ours if direction == "inbound" else outside,
        "started_at": iso(api.clock.now() - timedelta(minutes=1)),
        "duration_seconds": 0,
        "answered": False,
    } | given


async def post_call(
    api: Api, body: dict[str, Any], expect: int = 201, **sign: Any
) -> httpx.Response:
    payload, headers = signed(body, **sign)
    response = await api.http.post(CALLS, content=payload, headers=headers)
    assert response.status_code == expect, response.text
    return response


async def client_with_phone(api: Api, manager: Person) -> ClientRef:
    client = await api.client("Acme", manager)
    await api.feed(
        ContactUpdatedV1(
            contact_id=uuid.UUID(client.contacts[0]),
            client_id=uuid.UUID(client.id),
            account_manager_id=uuid.UUID(manager.id),
            name="Dora",
            email=None,
            phone=E164,
            position=None,
            roles=["decision_maker"],
            birthday=None,
            preferred_channel="phone",
        )
    )
    return client


async def test_a_missed_call_opens_its_request_and_the_call_back_answers_it(
    calls_api: Api,
) -> None:
    """The story: a missed call from a known contact's number opens the callback request at
    once; an outbound answered call to that number 26 minutes after the missed one rang
    answers it; the SLA report shows the missed call and the callback time."""
    api = calls_api
    mia = await api.staff("Mia")
    client = await client_with_phone(api, mia)
    missed = (await post_call(api, record(api))).json()
    assert missed["outcome"] == "missed" and missed["matched"] is True
    assert (missed["client_id"], missed["contact_id"]) == (client.id, client.contacts[0])
    assert missed["number"] == E164
    request = await api.request(mia.headers, missed["request_id"])
    assert request["status"] == "open"
    interaction = (
        await api.http.get(f"/api/v1/interactions/{missed['interaction_id']}", headers=mia.headers)
    ).json()
    assert (interaction["type"], interaction["missed"], interaction["author_id"]) == (
        "call",
        True,
        mia.id,
    )
    api.advance(minutes=25)
    back = record(api, "outbound", answered=True, duration_seconds=185)
    back["started_at"] = iso(api.clock.now())
    callback = (await post_call(api, back)).json()
    assert (callback["outcome"], callback["request_id"]) == ("logged", missed["request_id"])
    request = await api.request(mia.headers, missed["request_id"])
    assert request["status"] == "answered"
    assert await api.event_types() == [
        "interaction.logged",
        "request.opened",
        "interaction.logged",
        "request.answered",
    ]
    [logged] = [e for e in await api.events("interaction.logged") if e["direction"] == "outbound"]
    assert "3 min 5 s" in logged["summary"]
    report = (await api.http.get("/api/v1/reports/sla", headers=mia.headers)).json()
    [line] = report["managers"]
    assert (line["missed_calls"], line["callback_minutes"]["median"]) == (1, 26)
    assert (report["missed_calls"], report["answered"]) == (1, 1)


async def test_a_repeated_message_answers_the_first_response_and_does_nothing_again(
    calls_api: Api,
) -> None:
    api = calls_api
    await client_with_phone(api, await api.staff("Mia"))
    payload, headers = signed(record(api))
    first = await api.http.post(CALLS, content=payload, headers=headers)
    again = await api.http.post(CALLS, content=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await api.event_types() == ["interaction.logged", "request.opened"]


async def test_a_call_record_without_a_valid_signature_is_401(calls_api: Api) -> None:
    api = calls_api
    body = record(api)
    payload, headers = signed(body)
    tampered = payload.replace('"inbound"', '"outbound"')
    cases = {
        "unsigned": (payload, {"content-type": "application/json"}),
        "another secret": signed(body, secret=OTHER_SECRET),
        "tampered": (tampered, headers),
        "too old": signed(body, age=10 * 60),
        "too new": signed(body, age=-10 * 60),
        "no signature": (payload, {k: v for k, v in headers.items() if k != "webhook-signature"}),
        "garbled": (payload, headers | {"webhook-signature": "v1"}),
        "unsigned, no call record": ('{"direction": 1}', {"content-type": "application/json"}),
    }
    for case, (content, sent) in cases.items():
        response = await api.http.post(CALLS, content=content, headers=sent)
        assert response.status_code == 401, (case, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await api.event_types() == []


async def test_a_signed_record_that_is_no_call_is_422(calls_api: Api) -> None:
    api = calls_api
    bad = record(api, direction="sideways", duration_seconds=-1, recording_url="ftp://x")
    response = await post_call(api, bad, expect=422)
    assert {tuple(e["loc"]) for e in response.json()["errors"]} >= {
        ("body", "direction"),
        ("body", "duration_seconds"),
        ("body", "recording_url"),
    }
    future = record(api, started_at=iso(api.clock.now() + timedelta(hours=1)))
    await post_call(api, future, expect=422)


async def test_answered_calls_are_logged_and_an_unanswered_outbound_one_is_an_attempt(
    calls_api: Api,
) -> None:
    api = calls_api
    await client_with_phone(api, await api.staff("Mia"))
    answered = (await post_call(api, record(api, answered=True, duration_seconds=42))).json()
    assert (answered["outcome"], answered["request_id"]) == ("logged", None)
    attempt = (await post_call(api, record(api, "outbound"))).json()
    assert (attempt["outcome"], attempt["interaction_id"]) == ("attempt", None)
    [logged] = await api.events("interaction.logged")
    assert (logged["direction"], logged["missed"]) == ("inbound", False)
    assert logged["summary"] == "Duration 42 s."


async def test_an_unknown_number_waits_unmatched_until_a_manager_assigns_it(
    calls_api: Api,
) -> None:
    api = calls_api
    mia, max_ = await api.staff("Mia"), await api.staff("Max")
    client = await client_with_phone(api, mia)
    theirs = await api.client("Globex", max_)
    unknown = record(api, **{"from": "+44 20 7946 0000"})
    call = (await post_call(api, unknown)).json()
    assert (call["outcome"], call["matched"], call["client_id"]) == ("unmatched", False, None)
    for who in (mia, max_):  # unmatched calls have no owner: all staff see them
        listed = await api.http.get(f"{CALLS}?matched=false", headers=who.headers)
        assert [c["id"] for c in listed.json()["items"]] == [call["id"]]
    assign = f"{CALLS}/{call['id']}/assign"
    refused = await api.http.post(assign, headers=mia.headers, json={"client_id": theirs.id})
    assert refused.status_code == 404  # Globex is Max's
    wrong = {"client_id": client.id, "contact_id": theirs.contacts[0]}
    assert (await api.http.post(assign, headers=mia.headers, json=wrong)).status_code == 422
    body = {"client_id": client.id, "contact_id": client.contacts[1]}
    assigned = await api.http.post(assign, headers=mia.headers, json=body)
    assert assigned.status_code == 200, assigned.text
    done = assigned.json()
    assert (done["outcome"], done["assigned_by"], done["contact_id"]) == (
        "missed",
        mia.id,
        client.contacts[1],
    )
    assert (await api.request(mia.headers, done["request_id"]))["status"] == "open"
    assert (await api.http.post(assign, headers=mia.headers, json=body)).status_code == 409
    unmatched = await api.http.get(f"{CALLS}?matched=false", headers=mia.headers)
    assert unmatched.json()["items"] == []
    matched = await api.http.get(f"{CALLS}?matched=true", headers=max_.headers)
    assert matched.json()["items"] == []  # Mia's client's call: not Max's to see


def twilio_form(api: Api, **given: str) -> dict[str, str]:
    return {
        "AccountSid": "AC0123",
        "CallSid": f"CA{uuid.uuid4().hex}",
        "From": E164,
        "To": OFFICE_LINE,
        "Direction": "inbound",
        "CallStatus": "no-answer",
        "CallDuration": "0",
        "Timestamp": format_datetime(api.clock.now()),
    } | given


async def post_twilio(
    api: Api, form: dict[str, str], *, token: str = TWILIO_TOKEN
) -> httpx.Response:
    signature = twilio_signature(TWILIO_URL, form.items(), token)
    return await api.http.post(
        f"{CALLS}/twilio",
        content=urlencode(form),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": signature,
        },
    )


async def test_twilio_s_status_callback_is_taken_once_per_call_sid(calls_api: Api) -> None:
    api = calls_api
    await client_with_phone(api, await api.staff("Mia"))
    form = twilio_form(api)
    first = await post_twilio(api, form)
    assert first.status_code == 201, first.text
    assert (first.json()["integration"], first.json()["outcome"]) == ("twilio", "missed")
    again = await post_twilio(api, form)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert (await post_twilio(api, twilio_form(api), token="forged")).status_code == 401
    ringing = await post_twilio(api, twilio_form(api, CallStatus="ringing"))
    assert ringing.status_code == 422
    assert ringing.json()["errors"][0]["loc"] == ["body", "CallStatus"]
    api.advance(minutes=10)
    back = {"Direction": "outbound-api", "From": OFFICE_LINE, "To": E164}
    answered = await post_twilio(
        api, twilio_form(api, CallStatus="completed", CallDuration="61", **back)
    )
    call = answered.json()
    assert (call["direction"], call["answered"], call["duration_seconds"]) == (
        "outbound",
        True,
        61,
    )
    started = api.clock.now() - timedelta(seconds=61)
    assert datetime.fromisoformat(call["started_at"]) == started
    assert call["request_id"] == first.json()["request_id"]  # the call back
