"""Documents' rules (services/clients/domain/files.py): the name kept, the media type, the
limits."""

from __future__ import annotations

import pytest

from services.clients.domain.files import (
    DEFAULT_ALLOWED_TYPES,
    clean_filename,
    content_type_of,
    parse_allowed_types,
    upload_problem,
)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("contract.pdf", "contract.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\mia\\Акт №3.docx", "Акт №3.docx"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("", "file"),
        (None, "file"),
        ("..", "file"),
        ("e\u0301te.pdf", "\u00e9te.pdf"),  # NFC
    ],
)
def test_clean_filename(given: str | None, kept: str) -> None:
    assert clean_filename(given) == kept


def test_a_long_name_keeps_its_extension() -> None:
    kept = clean_filename("x" * 400 + ".pdf")
    assert len(kept) == 255 and kept.endswith(".pdf")


@pytest.mark.parametrize(
    ("declared", "name", "media_type"),
    [
        ("application/pdf", "a.bin", "application/pdf"),
        ("Text/Plain; charset=utf-8", "a.txt", "text/plain"),
        ("application/octet-stream", "a.pdf", "application/pdf"),
        (None, "scan.png", "image/png"),
        ("", "noext", "application/octet-stream"),
        ("not a type", "a.csv", "text/csv"),
        ("application/" + "x" * 300, "a.pdf", "application/pdf"),  # longer than the column
    ],
)
def test_content_type_of(declared: str | None, name: str, media_type: str) -> None:
    assert content_type_of(declared, name) == media_type


def test_limits() -> None:
    allowed = parse_allowed_types("application/pdf, image/*")
    assert upload_problem(10, "application/pdf", max_bytes=10, allowed=allowed) is None
    assert upload_problem(10, "image/webp", max_bytes=10, allowed=allowed) is None
    too_large = upload_problem(11, "application/pdf", max_bytes=10, allowed=allowed)
    assert too_large is not None and too_large.kind == "too_large"
    wrong = upload_problem(1, "text/html", max_bytes=10, allowed=allowed)
    assert wrong is not None and wrong.kind == "type" and "text/html" in wrong.detail
    empty = upload_problem(0, "application/pdf", max_bytes=10, allowed=allowed)
    assert empty is not None and empty.kind == "empty"


def test_allowed_types_are_media_types() -> None:
    assert parse_allowed_types(",".join(DEFAULT_ALLOWED_TYPES)) == DEFAULT_ALLOWED_TYPES
    assert parse_allowed_types(" Image/PNG ,image/png") == ("image/png",)
    for bad in ("", "pdf", "*/*", "text/html,exe"):
        with pytest.raises(ValueError):
            parse_allowed_types(bad)
