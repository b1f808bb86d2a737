"""CloudEvents 1.0 (structured JSON) envelope and the base class of every event model.

Every event type is a frozen pydantic model subclassing :class:`Event` with a ``TYPE`` of the
form ``orbit.<service>.<entity>.<verb>.v<N>``; defining the class registers it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONTENT_TYPE = "application/cloudevents+json"
TYPE_PATTERN = re.compile(r"^orbit\.(?P<service>[a-z]+)\.[a-z_]+\.[a-z_]+\.v(?P<version>\d+)$")


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event in structured JSON mode."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset")
        return value

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        return cls.model_validate_json(raw)


class Event(BaseModel):
    """Base of the versioned event payloads (the CloudEvent ``data``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = ""
    # The field whose value is the Kafka key and the CloudEvent subject.
    KEY_FIELD: ClassVar[str] = "client_id"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.TYPE:
            registry.register(cls)

    @classmethod
    def service(cls) -> str:
        match = TYPE_PATTERN.match(cls.TYPE)
        if not match:
            raise ValueError(f"bad event type {cls.TYPE!r}")
        return match.group("service")

    def key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))

    def to_cloudevent(
        self, *, event_id: uuid.UUID | None = None, time: datetime | None = None
    ) -> CloudEvent:
        return CloudEvent(
            id=event_id or uuid.uuid4(),
            source=f"orbit/{self.service()}",
            type=self.TYPE,
            subject=self.key(),
            time=time or datetime.now(UTC),
            data=self.model_dump(mode="json"),
        )


class EventRegistry:
    """Every event model by its CloudEvents ``type``."""

    def __init__(self) -> None:
        self._types: dict[str, type[Event]] = {}

    def register(self, model: type[Event]) -> None:
        if not TYPE_PATTERN.match(model.TYPE):
            raise ValueError(f"event type {model.TYPE!r} does not follow orbit.<svc>.<e>.<v>.vN")
        existing = self._types.get(model.TYPE)
        if existing is not None and existing.__qualname__ != model.__qualname__:
            raise ValueError(f"event type {model.TYPE!r} registered twice")
        self._types[model.TYPE] = model

    def get(self, event_type: str) -> type[Event] | None:
        return self._types.get(event_type)

    def types(self) -> dict[str, type[Event]]:
        return dict(sorted(self._types.items()))

    def parse(self, envelope: CloudEvent) -> Event:
        model = self._types.get(envelope.type)
        if model is None:
            raise KeyError(envelope.type)
        return model.model_validate(envelope.data)


registry = EventRegistry()


def topic_for(service: str) -> str:
    return f"orbit.{service}"


def topics_of(event_types: Iterable[str]) -> list[str]:
    """The topics ``event_types`` are published on (``orbit.<service>.<...>`` on the topic of
    its service, :func:`topic_for`), sorted."""
    return sorted({topic_for(event_type.split(".")[1]) for event_type in event_types})


def dlq_topic_for(service: str) -> str:
    return f"orbit.{service}.dlq"
