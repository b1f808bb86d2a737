"""The documents' store port (shared/files.py): the signed links of local disk, the keys, the
Content-Disposition of a download, and the local store itself (a folder)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.files import (
    LocalStore,
    content_disposition,
    file_id_of,
    link_is_valid,
    object_key,
    sign_link,
)

NOW = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)
FILE = uuid.UUID("6a1c3f9e-0b7d-4e2a-9c55-2f0d1e8b7a61")


def test_a_signed_link_is_valid_until_it_expires() -> None:
    expires = int((NOW + timedelta(minutes=5)).timestamp())
    token = sign_link("secret", FILE, expires)
    assert link_is_valid("secret", FILE, expires, token, NOW)
    assert not link_is_valid("secret", FILE, expires, token, NOW + timedelta(minutes=5))
    assert not link_is_valid("other", FILE, expires, token, NOW)
    assert not link_is_valid("secret", uuid.uuid4(), expires, token, NOW)
    assert not link_is_valid("secret", FILE, expires + 3600, token, NOW)  # a later expiry
    assert not link_is_valid("secret", FILE, expires, "Токен", NOW)  # any text: no error


def test_keys_name_their_file() -> None:
    assert file_id_of(object_key(FILE)) == FILE
    assert file_id_of("files/not-a-uuid") is None
    assert file_id_of(f"other/{FILE}") is None


def test_content_disposition_keeps_any_name() -> None:
    header = content_disposition('Акт "3".pdf')
    assert header.startswith('attachment; filename="___ _3_.pdf"')
    assert "filename*=UTF-8''%D0%90%D0%BA%D1%82%20%223%22.pdf" in header


async def test_the_local_store(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key = object_key(FILE)
    await store.put(key, b"bytes", "text/plain")
    assert await store.get(key) == b"bytes"
    assert await store.keys_before(datetime.now(UTC) + timedelta(minutes=1)) == [key]
    assert await store.keys_before(datetime(2000, 1, 1, tzinfo=UTC)) == []  # file times are real
    assert await store.presigned_url(key, "a.txt", "text/plain", 60) is None
    await store.delete(key)
    await store.delete(key)  # twice: nothing to do
    assert await store.get(key) is None
    with pytest.raises(ValueError):
        await store.put("../outside", b"x", "text/plain")
