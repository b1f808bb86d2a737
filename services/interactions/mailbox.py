"""Reading Orbit's mailbox over IMAP (the standard library's ``imaplib``, run in a thread).

``imaps://`` verifies the server's certificate (the system's trust store). A poll opens the
folder read-only (nothing is marked seen, moved or deleted: the mailbox stays
the people's) and fetches the messages after the highest UID taken in, valid while the
folder's ``UIDVALIDITY`` is the one it was read with (else from the start: the Message-ID
guard keeps each message once).
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.interactions.settings import ImapTarget, InteractionsSettings, parse_imap_url


class MailboxError(RuntimeError):
    """The mailbox refused a login, a folder or a command."""


@dataclass(frozen=True)
class Mailbox:
    target: ImapTarget
    user: str
    password: str
    folder: str
    timeout: float

    @classmethod
    def of(cls, settings: InteractionsSettings) -> Mailbox:
        assert settings.interactions_imap_url
        return cls(
            parse_imap_url(settings.interactions_imap_url),
            settings.interactions_imap_user or "",
            settings.interactions_imap_password or "",
            settings.interactions_imap_folder,
            settings.interactions_imap_timeout_seconds,
        )

    @property
    def name(self) -> str:
        """The key of its messages and read state: user, server and folder."""
        return f"{self.user}@{self.target.host}:{self.target.port}/{self.folder}"[:300]


@dataclass(frozen=True)
class Fetched:
    uidvalidity: int
    messages: list[tuple[int, bytes]]  # (UID, the raw message), by UID


def _ok(result: tuple[str, Sequence[Any]], what: str) -> Sequence[Any]:
    status, data = result
    if status != "OK":
        raise MailboxError(f"IMAP {what}: {status} {data!r}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_new(mailbox: Mailbox, known: tuple[int, int] | None, limit: int) -> Fetched:
    """Up to ``limit`` messages after UID ``known[1]`` (``known``: the UIDVALIDITY and last
    UID taken in, None at first), oldest first. Blocking: run it in a thread."""
    host, port = mailbox.target.host, mailbox.target.port
    try:
        with (
            imaplib.IMAP4_SSL(
                host, port, ssl_context=ssl.create_default_context(), timeout=mailbox.timeout
            )
            if mailbox.target.tls
            else imaplib.IMAP4(host, port, timeout=mailbox.timeout)
        ) as imap:
            _ok(imap.login(mailbox.user, mailbox.password), "LOGIN")
            _ok(imap.select(_quoted(mailbox.folder), readonly=True), "SELECT")
            _, validity = imap.response("UIDVALIDITY")
            uidvalidity = int(validity[0]) if validity and validity[0] else 0
            after = known[1] if known and known[0] == uidvalidity else 0
            found = _ok(imap.uid("SEARCH", f"UID {after + 1}:*"), "UID SEARCH")
            raw_uids = found[0] if found and isinstance(found[0], bytes) else b""
            # "n:*" names the last message even when its UID is below n
            uids = sorted(u for u in map(int, raw_uids.split()) if u > after)[:limit]
            messages = []
            for uid in uids:
                parts = _ok(imap.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if isinstance(raw, bytes):
                    messages.append((uid, raw))
            return Fetched(uidvalidity, messages)
    except imaplib.IMAP4.error as exc:
        raise MailboxError(f"IMAP: {exc}") from exc
