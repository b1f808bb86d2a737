"""Documents' rules: the name kept, the media type, what is accepted.

Pure: the upload's declared name and type, its size and the settings in, an answer out."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# Office documents, PDF, images, text, archives and email: what a signed contract, the
# minutes, an act or a client's letter comes as.
DEFAULT_ALLOWED_TYPES: tuple[str, ...] = (
    "application/pdf",
    "image/*",
    "text/plain",
    "text/csv",
    "message/rfc822",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)
OCTET_STREAM = "application/octet-stream"
MAX_FILENAME = 255
MAX_MEDIA_TYPE = 255
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/([a-z0-9][a-z0-9!#$&^_.+-]*|\*)$")

ProblemKind = Literal["empty", "too_large", "type"]


@dataclass(frozen=True)
class UploadProblem:
    kind: ProblemKind
    detail: str


def parse_allowed_types(value: str) -> tuple[str, ...]:
    """``"application/pdf, image/*"`` -> its media types, lower-case; ValueError naming one
    that is not a media type (or an empty list)."""
    types = tuple(dict.fromkeys(t.strip().lower() for t in value.split(",") if t.strip()))
    if not types:
        raise ValueError("at least one media type is needed")
    for media_type in types:
        if not _MEDIA_TYPE.match(media_type) or media_type.startswith("*"):
            raise ValueError(f"{media_type!r} is not a media type (type/subtype or type/*)")
    return types


def clean_filename(name: str | None) -> str:
    """The name a document is kept and downloaded under: its last path segment, without
    control characters, NFC, at most 255 characters (the extension kept); "file" when
    nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not base:
        return "file"
    if len(base) > MAX_FILENAME:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            base = stem[: MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_FILENAME]
    return base


def content_type_of(declared: str | None, filename: str) -> str:
    """The document's media type: the declared one (lower-case, without parameters), or the
    one its name's extension says when none or a generic one was declared."""
    media_type = (declared or "").split(";")[0].strip().lower()
    if (
        media_type
        and media_type != OCTET_STREAM
        and len(media_type) <= MAX_MEDIA_TYPE
        and _MEDIA_TYPE.match(media_type)
    ):
        return media_type
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed.lower() if guessed else OCTET_STREAM


def type_allowed(media_type: str, allowed: tuple[str, ...]) -> bool:
    family = media_type.split("/")[0] + "/*"
    return media_type in allowed or family in allowed


def upload_problem(
    size: int, media_type: str, *, max_bytes: int, allowed: tuple[str, ...]
) -> UploadProblem | None:
    """What is wrong with a document of ``size`` bytes and ``media_type``, if anything."""
    if size == 0:
        return UploadProblem("empty", "the file is empty")
    if size > max_bytes:
        return UploadProblem("too_large", f"the file is larger than {max_bytes} bytes")
    if not type_allowed(media_type, allowed):
        return UploadProblem(
            "type", f"{media_type} files are not accepted (accepted: {', '.join(allowed)})"
        )
    return None
