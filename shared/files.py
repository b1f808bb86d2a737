"""Where documents' bytes live (``/api/v1/files``, the clients service): an object store.

Two backends behind one port (:class:`ObjectStore`), chosen by ``ORBIT_FILES_BACKEND``:

- ``local`` (the default, the embedded mode): a folder (``ORBIT_FILES_DIR``, else
  ``<ORBIT_DATA_DIR>/files``); an object is a file written under a temporary name and renamed,
  so a reader never sees half of one. Downloads go through the service itself, by a signed,
  expiring link (:func:`sign_link`, :func:`link_is_valid`).
- ``s3``: an S3-compatible store (Amazon S3, SeaweedFS, MinIO) through aiobotocore, at
  ``ORBIT_FILES_ENDPOINT`` (unset: AWS) in ``ORBIT_FILES_BUCKET`` (created when missing), with
  ``ORBIT_FILES_ACCESS_KEY`` / ``ORBIT_FILES_SECRET_KEY``, path-style addressing, every key
  after ``ORBIT_FILES_PREFIX`` (a bucket shared with others). Downloads
  are presigned GET URLs, signed for ``ORBIT_FILES_PUBLIC_ENDPOINT`` when browsers reach the
  store at another address than the service does.

A client is opened per operation (documents are few and large: the connection's cost is
small beside the transfer), so nothing outlives the event loop that used it.

The metadata (owner, client, name, type, size, digest) is a row in the service's database; an
object is written before its row and removed when the row is not committed
(:func:`removed_unless_kept`), and a sweep removes objects left without a row by a crash in
between (the clients service's ``files_sweep`` job, :meth:`ObjectStore.keys_before`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

log = logging.getLogger("orbit.files")

FilesBackend = Literal["local", "s3"]
FILES_BACKENDS: tuple[FilesBackend, ...] = ("local", "s3")
# Every object's key begins with it (the sweep lists only these).
PREFIX = "files/"


def object_key(file_id: uuid.UUID) -> str:
    return f"{PREFIX}{file_id}"


def file_id_of(key: str) -> uuid.UUID | None:
    """The file id an object's key names; None for a key of something else."""
    if not key.startswith(PREFIX):
        return None
    try:
        return uuid.UUID(key[len(PREFIX) :])
    except ValueError:
        return None


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...

    async def keys_before(self, before: datetime) -> list[str]:
        """The keys (under :data:`PREFIX`) of the objects written before ``before``."""
        ...

    async def presigned_url(
        self, key: str, filename: str, content_type: str, seconds: int
    ) -> str | None:
        """A URL the object can be downloaded from for ``seconds`` without credentials;
        None when the store has none (local disk: the service serves it)."""
        ...


class LocalStore:
    """Objects as files under ``root`` (the embedded mode)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key {key!r} leaves the store")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
            partial.write_bytes(data)
            os.replace(partial, path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)

        def read() -> bytes | None:
            try:
                return path.read_bytes()
            except FileNotFoundError:
                return None

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def keys_before(self, before: datetime) -> list[str]:
        folder = self.root / PREFIX

        def listed() -> list[str]:
            if not folder.is_dir():
                return []
            cutoff = before.timestamp()
            return sorted(
                f"{PREFIX}{entry.name}"
                for entry in folder.iterdir()
                if entry.is_file()
                and not entry.name.startswith(".")
                and entry.stat().st_mtime < cutoff
            )

        return await asyncio.to_thread(listed)

    async def presigned_url(
        self, key: str, filename: str, content_type: str, seconds: int
    ) -> str | None:
        return None


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    # The address browsers reach the store at, when not ``endpoint`` (presigned URLs).
    public_endpoint: str | None = None
    # Before every key in the bucket ("orbit/": a bucket shared with others).
    prefix: str = ""


class S3Store:
    """Objects in an S3-compatible bucket (aiobotocore)."""

    def __init__(self, config: S3Config) -> None:
        from aiobotocore.session import get_session

        self.config = config
        self._session = get_session()
        self._bucket_ready = False

    @contextlib.asynccontextmanager
    async def _client(self, endpoint: str | None = None) -> AsyncIterator[Any]:
        from botocore.config import Config

        config = self.config
        async with self._session.create_client(
            "s3",
            region_name=config.region,
            endpoint_url=endpoint or config.endpoint,
            aws_access_key_id=config.access_key,
            aws_secret_access_key=config.secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        ) as client:
            yield client

    async def _ensure_bucket(self, client: Any) -> None:
        if self._bucket_ready:
            return
        from botocore.exceptions import ClientError

        try:
            await client.head_bucket(Bucket=self.config.bucket)
        except ClientError:
            with contextlib.suppress(
                client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists
            ):
                await client.create_bucket(Bucket=self.config.bucket)
        self._bucket_ready = True

    def _key(self, key: str) -> str:
        return self.config.prefix + key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        digest = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        async with self._client() as client:
            await self._ensure_bucket(client)
            await client.put_object(
                Bucket=self.config.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type,
                ContentMD5=digest,
            )

    async def get(self, key: str) -> bytes | None:
        async with self._client() as client:
            try:
                response = await client.get_object(Bucket=self.config.bucket, Key=self._key(key))
            except client.exceptions.NoSuchKey:
                return None
            async with response["Body"] as stream:
                data: bytes = await stream.read()
                return data

    async def delete(self, key: str) -> None:
        async with self._client() as client:
            await client.delete_object(Bucket=self.config.bucket, Key=self._key(key))

    async def keys_before(self, before: datetime) -> list[str]:
        keys: list[str] = []
        async with self._client() as client:
            await self._ensure_bucket(client)
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.config.bucket, Prefix=self._key(PREFIX)
            )
            async for page in pages:
                for item in page.get("Contents", []):
                    modified = item["LastModified"]
                    if modified.tzinfo is None:
                        modified = modified.replace(tzinfo=UTC)
                    if modified < before:
                        keys.append(item["Key"][len(self.config.prefix) :])
        return sorted(keys)

    async def presigned_url(
        self, key: str, filename: str, content_type: str, seconds: int
    ) -> str | None:
        async with self._client(self.config.public_endpoint) as client:
            url: str = await client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.config.bucket,
                    "Key": self._key(key),
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition(filename),
                },
                ExpiresIn=seconds,
            )
            return url


@contextlib.asynccontextmanager
async def removed_unless_kept(store: ObjectStore, key: str) -> AsyncIterator[None]:
    """Around the unit of work that records an object written just before: when it does not
    complete (an error, a rollback, a cancelled request), the object is removed, so none is
    left without its row. (A crash in between is the sweep's.)"""
    try:
        yield
    except BaseException:
        try:
            await asyncio.shield(store.delete(key))
        except Exception as exc:  # the sweep removes it later
            log.warning("could not remove %s after a failed upload: %r", key, exc)
        raise


def content_disposition(filename: str) -> str:
    """``attachment`` with the name in ASCII (others replaced) and in UTF-8 (RFC 6266)."""
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


# ---------------------------------------------------------------- signed links (local disk)


def sign_link(secret: str, file_id: uuid.UUID, expires: int) -> str:
    """The token of a download link of ``file_id`` valid until ``expires`` (Unix seconds)."""
    message = f"orbit.files:{file_id}:{expires}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def link_is_valid(secret: str, file_id: uuid.UUID, expires: int, token: str, now: datetime) -> bool:
    """Whether ``token`` signs ``file_id`` until ``expires``, and ``now`` is before then."""
    if now.timestamp() >= expires:
        return False
    # As bytes: a token may hold any character (compare_digest refuses non-ASCII strings).
    return hmac.compare_digest(sign_link(secret, file_id, expires).encode(), token.encode())
