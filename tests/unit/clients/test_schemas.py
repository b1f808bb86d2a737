"""Request bodies of the clients API: the shared input checks they build on
(``shared.inputs.InputModel``, ``shared.calendar.check_timezone``) and their own rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.clients.api.schemas import ClientIn, ClientPatch, SlaIn, StaffIn, StaffPatch
from shared.calendar import CalendarError, check_timezone, timezone_names
from shared.inputs import InputModel, control_characters


def error_locs(exc: ValidationError) -> set[str]:
    return {".".join(map(str, e["loc"])) for e in exc.errors()}


# ---------------------------------------------------------------- timezones


@pytest.mark.parametrize(
    "name",
    [
        "Europe",
        "Etc",
        "America/Argentina",
        "__pycache__",
        "a" * 300,
        "localtime",
        "Factory",
        "posixrules",
        "posix/UTC",
        "right/UTC",
        "",
        "/etc/localtime",
        "../UTC",
        3,
    ],
)
def test_only_zone_names_are_timezones(name: Any) -> None:
    with pytest.raises(CalendarError) as raised:
        check_timezone(name)
    assert raised.value.field == "timezone"
    assert len(str(raised.value)) < 120  # an overlong name is cut in the message


def test_timezone_names_are_the_tz_database_zones() -> None:
    names = timezone_names()
    assert {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"} <= names
    assert not {"Factory", "localtime", "posixrules"} & names
    assert all(check_timezone(name) == name for name in names)
    assert timezone_names() is names  # computed once


# ---------------------------------------------------------------- control characters


def test_control_characters_are_found_anywhere_with_their_path() -> None:
    body = {
        "a": "fine\t\r\n",
        "b": ["x", "y\x00"],
        "c": {"d\x7f": "z", "e": [{"f": "\x1f"}]},
        "n": 1,
        "none": None,
    }
    found = [(loc, message) for loc, message, _ in control_characters(body)]
    assert found == [
        (("b", 1), "control character U+0000 is not allowed"),
        (("c", "d\x7f"), "the key: control character U+007F is not allowed"),
        (("c", "e", 0, "f"), "control character U+001F is not allowed"),
    ]
    assert list(control_characters("é ü 😀 \u0080 \u200b")) == []  # not C0 or DEL


def test_lone_surrogates_are_refused_like_control_characters() -> None:
    body = json.loads('{"name": "x", "tags": ["ok", "\\ud83d"], "\\udc00": "a\\ud83d\\ude00"}')
    found = [(loc, message) for loc, message, _ in control_characters(body)]
    assert found == [
        (("tags", 1), "unpaired surrogate U+D83D is not allowed"),
        (("\udc00",), "the key: unpaired surrogate U+DC00 is not allowed"),
    ]  # the escaped pair is one character, 😀
    with pytest.raises(ValidationError) as raised:
        Note.model_validate({"title": "\ud83d", "lines": ["\udfff"]})
    assert error_locs(raised.value) == {"title", "lines.0"}


class Note(InputModel):
    title: str
    lines: list[str] = []


def test_input_model_refuses_control_characters_and_unknown_fields() -> None:
    assert Note.model_validate({"title": "a\tb", "lines": ["c\r\n"]}).title == "a\tb"
    with pytest.raises(ValidationError) as raised:
        Note.model_validate({"title": "a\x00b", "lines": ["ok", "\x08"]})
    assert error_locs(raised.value) == {"title", "lines.1"}
    assert {e["type"] for e in raised.value.errors()} == {"control_character"}
    with pytest.raises(ValidationError) as raised:
        Note.model_validate({"title": "t", "other": 1})
    assert error_locs(raised.value) == {"other"}


def test_every_clients_body_is_an_input_model() -> None:
    from services.clients import commands

    bodies = [
        v
        for k, v in vars(commands).items()
        if isinstance(v, type) and k.endswith(("In", "Patch")) and v.__module__ == commands.__name__
    ]
    assert bodies and all(issubclass(b, InputModel) for b in bodies), bodies
    with pytest.raises(ValidationError) as raised:
        ClientIn.model_validate({"name": "Acme", "sla": {"calendar": {"timezone": "UTC\x00"}}})
    assert error_locs(raised.value) == {"sla.calendar.timezone"}


@pytest.mark.parametrize("model", [StaffIn, StaffPatch, ClientIn, ClientPatch])
def test_timezone_fields_use_the_one_check(model: type[InputModel]) -> None:
    base: dict[str, Any] = (
        {"name": "N", "email": "n@orbit.example"}
        if model is StaffIn
        else ({"name": "N"} if model is ClientIn else {})
    )
    with pytest.raises(ValidationError) as raised:
        model.model_validate(base | {"timezone": "Europe"})
    assert error_locs(raised.value) == {"timezone"}
    assert model.model_validate(base | {"timezone": "Europe/Paris"}).timezone == "Europe/Paris"


# ---------------------------------------------------------------- strict numbers, locales


@pytest.mark.parametrize(
    "field", ["first_response_minutes", "contact_cadence_days", "meeting_report_hours"]
)
@pytest.mark.parametrize("value", [True, False, "30", 30.0, 30.5, None])
def test_sla_targets_are_whole_json_numbers(field: str, value: Any) -> None:
    if value is None:
        assert getattr(SlaIn.model_validate({field: None}), field) is None
        return
    with pytest.raises(ValidationError) as raised:
        SlaIn.model_validate_json(json.dumps({field: value}))
    assert error_locs(raised.value) == {field}
    assert getattr(SlaIn.model_validate_json(json.dumps({field: 30})), field) == 30


@pytest.mark.parametrize(
    "locale",
    [
        "de",
        "de-DE",
        "en-GB",
        "zh-Hant-TW",
        "es-419",
        "ast",
        "",
        "de-DE-u-co-phonebk",
        "de-x-orbit",
        "en-x-a-b1",
    ],
)
def test_locales_are_bcp47_tags(locale: str) -> None:
    body = {"name": "N", "email": "n@orbit.example", "locale": locale}
    assert StaffIn.model_validate(body).locale == locale
    assert StaffPatch.model_validate({"locale": locale}).locale == locale


@pytest.mark.parametrize(
    "locale",
    [
        "zz-garbage-@@",
        "d",
        "de_DE",
        "de-",
        "-DE",
        "deutsch",
        "de-DE-toolongsubtag",
        "de DE",
        "x" * 40,
        "de-x",
        "de-u",
        "x-orbit",
        "de-x-toolongsub",
    ],
)
def test_other_locales_are_refused(locale: str) -> None:
    with pytest.raises(ValidationError) as raised:
        StaffIn.model_validate({"name": "N", "email": "n@orbit.example", "locale": locale})
    assert error_locs(raised.value) == {"locale"}
    with pytest.raises(ValidationError) as raised:
        StaffPatch.model_validate({"locale": locale})
    assert error_locs(raised.value) == {"locale"}


# ---------------------------------------------------------------- country codes


# Upper-cased they would be codes: "ß" -> "SS", dotless i (U+0131) -> "I", "ﬀ" -> "FF".
NOT_ASCII_CODES = ["\u00df", "\u0131t", "de\u0307", "\ufb00", "\uff24\uff25"]


@pytest.mark.parametrize("code", [*NOT_ASCII_CODES, "D", "DEU", "XX", "d1"])
def test_country_codes_are_two_ascii_letters(code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ClientIn.model_validate({"name": "N", "country": code})
    assert error_locs(raised.value) == {"country"}
    with pytest.raises(ValidationError) as raised:
        ClientPatch.model_validate({"country": code})
    assert error_locs(raised.value) == {"country"}
    with pytest.raises(ValidationError) as raised:
        ClientIn.model_validate({"name": "N", "sla": {"calendar": {"holidays_country": code}}})
    assert error_locs(raised.value) == {"sla.calendar.holidays_country"}


def test_country_codes_in_either_case_are_upper_cased() -> None:
    assert ClientIn.model_validate({"name": "N", "country": " it "}).country == "IT"
    assert ClientPatch.model_validate({"country": "De"}).country == "DE"
    body = ClientIn.model_validate({"name": "N", "sla": {"calendar": {"holidays_country": "it"}}})
    assert body.sla is not None and body.sla.calendar is not None
    assert body.sla.calendar.holidays_country == "IT"
