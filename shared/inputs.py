"""The base of every request body: unknown fields are refused, and so are control characters
and lone surrogates.

PostgreSQL stores no NUL in ``text`` or ``JSONB`` (the insert fails, a 500 after the request
was accepted), and the other C0 controls and DEL are no part of a name, an email or a note
typed by a person: they come from broken clients or from probes. Surrogates (U+D800..U+DFFF)
are no characters at all: JSON lets a string spell half of a pair (``"\ud83d"``), but no UTF-8
encodes it, so neither database can store it (SQLite's driver raises UnicodeEncodeError,
PostgreSQL refuses the JSON). :class:`InputModel` refuses both anywhere in a body (strings in
nested objects and lists, and object keys), before any other validation, with a 422 naming
each offending field. Tab, line feed and carriage return stay allowed (multi-line notes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# U+0000..U+001F except tab (09), line feed (0A) and carriage return (0D); and DEL (7F).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A surrogate code point: a whole pair is one character in a Python str, so any is unpaired.
SURROGATE = re.compile(r"[\ud800-\udfff]")

Loc = tuple[str | int, ...]


def control_character_message(text: str) -> str | None:
    """Why ``text`` is refused (its first control character or lone surrogate), or ``None``
    when it is fine."""
    found = CONTROL_CHARACTER.search(text)
    if found is not None:
        return f"control character U+{ord(found.group()):04X} is not allowed"
    found = SURROGATE.search(text)
    if found is not None:
        return f"unpaired surrogate U+{ord(found.group()):04X} is not allowed"
    return None


def control_characters(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str, Any]]:
    """``(loc, message, input)`` for every string in ``value`` (a parsed JSON document: nested
    dicts and lists are searched, keys included) that holds a control character or a lone
    surrogate, in document order.

    Walked with a stack of its own, not by recursion: a body nested as deep as the JSON parser
    allows (about 1000 levels) would pass Python's recursion limit here (a 500); it goes on to
    the model's validation and its 422 instead."""
    stack: list[tuple[Loc, Any, bool]] = [(loc, value, False)]
    while stack:
        at, item, is_key = stack.pop()
        if isinstance(item, str):
            message = control_character_message(item)
            if message is not None:
                yield at, f"the key: {message}" if is_key else message, item
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                stack.append(((*at, key), child, False))
                if isinstance(key, str):
                    stack.append(((*at, key), key, True))
        elif isinstance(item, list | tuple):
            stack.extend(
                ((*at, index), child, False) for index, child in reversed(list(enumerate(item)))
            )


def check_text(value: str) -> str:
    """For a single string outside a body (a query parameter): refuse control characters and
    lone surrogates."""
    message = control_character_message(value)
    if message is not None:
        raise ValueError(message)
    return value


# A query parameter or any other lone string without control characters or surrogates.
Text = Annotated[str, AfterValidator(check_text)]


class InputModel(BaseModel):
    """A request body: extra fields are refused (422 naming them), and so is a control
    character or a lone surrogate in any string of the body (422 naming the field, e.g.
    ``body.tags.1``)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        errors = [
            InitErrorDetails(
                type=PydanticCustomError("control_character", message), loc=loc, input=value
            )
            for loc, message, value in control_characters(data)
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


class In(InputModel):
    """A request body (a command's input): unknown fields and control characters refused."""


class Patch(In):
    """A partial update: an omitted field is kept; ``null`` clears a field that may be empty
    and is refused (422 naming the field) for one that may not (those in ``NOT_NULL``)."""

    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.NOT_NULL:
            raise ValueError("may not be null")
        return value
