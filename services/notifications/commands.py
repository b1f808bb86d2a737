"""Request bodies of the notifications service = the commands its use cases take."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from services.notifications.domain.catalog import EVENT_TYPES, PERSONAL_CHANNELS, PersonalChannel
from shared.inputs import In

# A local wall-clock time, "HH:MM" (24 h).
LocalTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("each item at most once")
    return values


class ChannelsIn(In):
    """The personal channels per severity; a severity left out keeps both."""

    info: list[PersonalChannel] = Field(default_factory=lambda: list(PERSONAL_CHANNELS))
    warning: list[PersonalChannel] = Field(default_factory=lambda: list(PERSONAL_CHANNELS))
    critical: list[PersonalChannel] = Field(
        default_factory=lambda: list(PERSONAL_CHANNELS), min_length=1
    )

    _check = field_validator("info", "warning", "critical")(_unique)


class QuietHoursIn(In):
    """From ``start`` to ``end`` in the person's timezone (``start`` after ``end`` spans
    midnight): email of non-critical alerts waits for ``end``."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursIn:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self


class DigestIn(In):
    """``info`` emails bundled into one email a day at ``at`` (the person's timezone)."""

    enabled: bool
    at: LocalTime = "08:00"


class PreferencesIn(In):
    channels: ChannelsIn = Field(default_factory=ChannelsIn)
    quiet_hours: QuietHoursIn | None = None
    digest: DigestIn | None = None


# Checked against the catalogue below (one 422 naming every unknown type); documented as its enum.
EventType = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)}),
]


class WebhookIn(In):
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    event_types: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))

    @field_validator("event_types")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        return list(dict.fromkeys(values))
