"""The one way an email leaves Orbit: :func:`connection` opens one SMTP connection
(aiosmtplib) to the server of ``ORBIT_SMTP_URL`` (``settings.parse_smtp_url``), sends each
message on it (:func:`send_messages`: a list of them) and classifies what happened as an
:class:`Outcome`: sent; refused for good (a 5xx reply: no retry); refused for now (4xx); or
the server unavailable (a dropped connection, a timeout, a 421, a server that cannot be
reached: an outage, not the message's fault). The delivery worker's emails and the
scorecard's scheduled reports both go here."""

from __future__ import annotations

import contextlib
import time as monotonic
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage

import aiosmtplib

from services.notifications.domain.schedule import Failure
from services.notifications.settings import SmtpTarget


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: ``ok``; else ``permanent`` (no retry), ``unavailable`` (the
    SMTP server or the receiver is down: an outage, retried until it ends) or a temporary
    refusal of this message, with the error, the response code and the start of the
    response body."""

    ok: bool
    error: str | None = None
    code: int | None = None
    permanent: bool = False
    excerpt: str | None = None
    duration_ms: int | None = None
    unavailable: bool = False

    @property
    def failure(self) -> Failure:
        if self.permanent:
            return "permanent"
        return "unavailable" if self.unavailable else "rejected"


async def send_messages(
    target: SmtpTarget, messages: Sequence[EmailMessage], *, timeout_seconds: float
) -> list[Outcome]:
    """Each message's outcome, in order (all the same when the server cannot be reached)."""
    async with connection(target, timeout_seconds=timeout_seconds) as send:
        return [await send(message) for message in messages]


@contextlib.asynccontextmanager
async def connection(
    target: SmtpTarget, *, timeout_seconds: float
) -> AsyncIterator[Callable[[EmailMessage], Awaitable[Outcome]]]:
    """One SMTP connection: yields a function sending one message on it and returning its
    outcome (every message unavailable when the server cannot be reached); quits after."""
    client = aiosmtplib.SMTP(
        hostname=target.hostname,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        timeout=timeout_seconds,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        unreachable = Outcome(
            ok=False, error=f"cannot connect to the SMTP server: {exc!r}", unavailable=True
        )

        async def refused(message: EmailMessage) -> Outcome:
            return unreachable

        yield refused
        return

    async def send(message: EmailMessage) -> Outcome:
        started = monotonic.perf_counter()
        outcome = await _send_one(client, message)
        elapsed = int((monotonic.perf_counter() - started) * 1000)
        return replace(outcome, duration_ms=elapsed)

    try:
        yield send
    finally:
        with contextlib.suppress(Exception):
            await client.quit()


async def _send_one(client: aiosmtplib.SMTP, message: EmailMessage) -> Outcome:
    try:
        refused, _ = await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        return Outcome(
            ok=False,
            error=str(exc),
            code=codes[0] if codes else None,
            permanent=all(500 <= c < 600 for c in codes),
        )
    except aiosmtplib.SMTPResponseException as exc:
        return Outcome(
            ok=False,
            error=str(exc),
            code=exc.code,
            permanent=500 <= exc.code < 600,
            unavailable=exc.code == 421,  # service not available, closing the channel
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        # the connection dropped or timed out: the server's trouble, not the message's
        return Outcome(ok=False, error=repr(exc), unavailable=True)
    if refused:
        code = next(iter(refused.values())).code
        return Outcome(ok=False, error=str(refused), code=code, permanent=500 <= code < 600)
    return Outcome(ok=True, code=250)
