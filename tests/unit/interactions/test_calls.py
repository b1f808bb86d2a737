"""The telephony rules: the client's number, matching it to a contact, what a call becomes,
and Twilio's status callback (its signature against Twilio's published test vector)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.interactions.domain import calls
from services.interactions.settings import InteractionsSettings

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today

# Twilio's documented request-validation example (its SDKs' tests use it too).
TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
TWILIO_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_outside_number_is_the_caller_of_an_inbound_call_and_the_callee_of_an_outbound() -> (
    None
):
    assert calls.outside_number("inbound", "+1", "+2") == "+1"
    assert calls.outside_number("outbound", "+1", "+2") == "+2"


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+49 30 1234567", None, "+49301234567"),
        ("030 1234567", "DE", "+49301234567"),
        ("030 1234567", None, None),  # national, no region to read it in
        ("anonymous", "DE", None),
        ("+49 1", None, None),
    ],
)
def test_numbers_are_read_in_e164(raw: str, region: str | None, e164: str | None) -> None:
    assert calls.e164(raw, region) == e164


def test_a_number_matches_the_contact_having_it_unless_two_clients_share_it() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    alice, bob, carol = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    clients = [
        (first, [{"id": str(alice), "phone": "+49301111111"}]),
        (
            second,
            [
                {"id": str(bob), "phone": "+49302222222"},
                {"id": "x", "phone": None},
                {"id": str(carol), "phone": "+49302222222"},  # the client's switchboard
            ],
        ),
    ]
    assert calls.match_contact("+49302222222", clients) == (second, bob)
    assert calls.match_contact("+49303333333", clients) is None
    assert calls.match_contact(None, clients) is None
    twice = [*clients, (uuid.uuid4(), [{"id": str(uuid.uuid4()), "phone": "+49301111111"}])]
    assert calls.match_contact("+49301111111", twice) is None  # whose? a manager assigns it


@pytest.mark.parametrize(
    ("direction", "answered", "outcome"),
    [
        ("inbound", False, "missed"),
        ("inbound", True, "logged"),
        ("outbound", True, "logged"),
        ("outbound", False, "attempt"),
    ],
)
def test_what_a_matched_call_becomes(direction: str, answered: bool, outcome: str) -> None:
    assert calls.outcome(direction, answered) == outcome


def test_the_summary_carries_the_duration_and_the_recording() -> None:
    assert calls.summary(True, 195, None) == "Duration 3 min 15 s."
    assert calls.summary(True, 42, "https://r.example/1") == (
        "Duration 42 s. Recording: https://r.example/1"
    )
    assert calls.summary(False, 0, None) == "Missed call."


def test_the_callback_time_is_in_minutes_of_the_clock() -> None:
    assert calls.callback_minutes(NOW, NOW + timedelta(minutes=90, seconds=59)) == 90
    assert calls.callback_minutes(NOW, NOW - timedelta(minutes=1)) == 0


# ---------------------------------------------------------------- Twilio


def test_the_twilio_signature_matches_twilio_s_published_vector() -> None:
    assert calls.twilio_signature(TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN) == TWILIO_SIGNATURE
    shuffled = list(reversed(TWILIO_PARAMS))
    assert calls.twilio_valid(TWILIO_URL, shuffled, TWILIO_TOKEN, TWILIO_SIGNATURE)


@pytest.mark.parametrize(
    ("url", "params", "token", "signature"),
    [
        (TWILIO_URL + "&x=1", TWILIO_PARAMS, TWILIO_TOKEN, TWILIO_SIGNATURE),
        (TWILIO_URL, [*TWILIO_PARAMS[:-1], ("To", "+18005551213")], TWILIO_TOKEN, TWILIO_SIGNATURE),
        (TWILIO_URL, TWILIO_PARAMS, "54321", TWILIO_SIGNATURE),
        (TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN, None),
        (TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN, "invalid 王"),
    ],
)
def test_a_twilio_signature_of_anything_else_is_refused(
    url: str, params: list[tuple[str, str]], token: str, signature: str | None
) -> None:
    assert not calls.twilio_valid(url, params, token, signature)


def test_a_name_given_several_times_signs_each_distinct_value_sorted() -> None:
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678")]
    repeated += [("Digits", "1234"), ("Digits", "1234")]
    # the value twilio's own validators compute for this form
    assert calls.twilio_signature(TWILIO_URL, repeated, TWILIO_TOKEN) == (
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    )


def _status(**given: str) -> dict[str, str]:
    return {
        "CallSid": "CA1",
        "From": "+49301111111",
        "To": "+49302222222",
        "Direction": "inbound",
        "CallStatus": "completed",
        "CallDuration": "125",
        "Timestamp": "Mon, 23 Nov 2037 09:02:05 +0000",
    } | given


def test_a_completed_twilio_call_starts_its_duration_before_its_timestamp() -> None:
    record = calls.twilio_call(_status(RecordingUrl="https://api.twilio.com/r/RE1"))
    assert record == {
        "direction": "inbound",
        "from": "+49301111111",
        "to": "+49302222222",
        "started_at": NOW,
        "duration_seconds": 125,
        "answered": True,
        "recording_url": "https://api.twilio.com/r/RE1",
    }


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_an_unanswered_twilio_call_is_not_answered(status: str) -> None:
    record = calls.twilio_call(_status(CallStatus=status, CallDuration="0"))
    assert record["answered"] is False
    assert record["duration_seconds"] == 0


def test_an_outbound_twilio_call_is_outbound() -> None:
    assert calls.twilio_call(_status(Direction="outbound-dial"))["direction"] == "outbound"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"CallStatus": "ringing"}, "CallStatus"),
        ({"Direction": "sideways"}, "Direction"),
        ({"CallDuration": "-3"}, "CallDuration"),
        ({"Timestamp": "yesterday"}, "Timestamp"),
        ({"From": ""}, "From"),
    ],
)
def test_a_twilio_callback_orbit_cannot_take_names_its_field(
    given: dict[str, str], field: str
) -> None:
    with pytest.raises(calls.TwilioFormatError) as raised:
        calls.twilio_call(_status(**given))
    assert raised.value.field == field


# ---------------------------------------------------------------- the settings


def test_integration_secrets_are_standard_webhooks_secrets_under_plain_names() -> None:
    good = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    settings = InteractionsSettings(interactions_call_integrations={"office-pbx": good})
    assert settings.interactions_call_integrations["office-pbx"].get_secret_value() == good
    for bad in ({"pbx": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, {"pbx": "whsec_c2hvcnQ="}):
        with pytest.raises(ValidationError):
            InteractionsSettings(interactions_call_integrations=bad)
    for name in ("twilio", "Office PBX", ""):
        with pytest.raises(ValidationError):
            InteractionsSettings(interactions_call_integrations={name: good})


def test_an_empty_twilio_token_is_no_token() -> None:
    assert (
        InteractionsSettings(interactions_twilio_auth_token=" ").interactions_twilio_auth_token
        is None
    )
