"""The interactions service's knobs (environment ``ORBIT_INTERACTIONS_...``; their unprefixed
names are still read, deprecated)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from shared.settings import OrbitSettings, renamed

# A telephony integration's name (kept with each of its calls); the Twilio adapter's is TWILIO.
INTEGRATION_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
TWILIO = "twilio"


class InteractionsSettings(OrbitSettings):
    model_config = renamed(
        "interactions", "sla_at_risk_fraction", "occurred_at_tolerance_minutes", "scan_batch_size"
    )

    # ORBIT_INTERACTIONS_SLA_AT_RISK_FRACTION: share of a request's business-time window after
    # which an unanswered request is at risk (sla.at_risk, once per request).
    interactions_sla_at_risk_fraction: float = Field(default=0.75, gt=0, lt=1)
    # ORBIT_INTERACTIONS_OCCURRED_AT_TOLERANCE_MINUTES: how far ahead of the server's clock
    # occurred_at may be (clocks differ); further ahead is a 422.
    interactions_occurred_at_tolerance_minutes: int = Field(default=5, ge=0, le=60)
    # ORBIT_INTERACTIONS_SCAN_BATCH_SIZE: due rows a scan handles per transaction.
    interactions_scan_batch_size: int = Field(default=500, ge=1, le=10_000)
    # ORBIT_INTERACTIONS_TASK_DUE_SOON_HOURS: how long before an open task's deadline its
    # assignee is warned (task.due_soon, once per task and deadline).
    interactions_task_due_soon_hours: int = Field(default=24, ge=1, le=24 * 30)
    # ORBIT_INTERACTIONS_CONTACT_DUE_SOON_DAYS: how many days before a client's contact cadence
    # lapses the manager is warned (client.contact_due_soon, once per lapse), for cadences
    # longer than that (a shorter one would warn as soon as the client is contacted).
    interactions_contact_due_soon_days: int = Field(default=1, ge=1, le=90)
    # ORBIT_INTERACTIONS_MEETING_REMINDER_MINUTES: how long before a planned meeting starts its
    # staff participants are reminded (meeting.reminder, once per meeting and start).
    interactions_meeting_reminder_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # ORBIT_INTERACTIONS_MEETING_NO_OUTCOME_HOURS: how long after its end a meeting still
    # planned (neither held nor cancelled) is announced (meeting.no_outcome, once); until then
    # a planned meeting starting by a client's cadence lapse keeps that lapse's alerts quiet.
    interactions_meeting_no_outcome_hours: int = Field(default=4, ge=1, le=24 * 14)
    # ORBIT_INTERACTIONS_CALL_INTEGRATIONS: the telephony integrations that may post call
    # records to POST /api/v1/integrations/calls, a JSON object name -> Standard Webhooks
    # secret ("whsec_" + base64), e.g. {"office-pbx": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}.
    # A request is accepted when its signature is one of these secrets' (the name is kept with
    # the call); none configured: every call record is refused (401).
    interactions_call_integrations: dict[str, SecretStr] = Field(default_factory=dict)
    # ORBIT_INTERACTIONS_CALL_DEFAULT_REGION: the country (ISO 3166 alpha-2) a call's national
    # number (without +) is read in; unset: only international numbers match a contact.
    interactions_call_default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    # ORBIT_INTERACTIONS_TWILIO_AUTH_TOKEN: the Twilio account's auth token, the key of the
    # X-Twilio-Signature of its status callbacks (POST /api/v1/integrations/calls/twilio);
    # unset: that route refuses everything (401).
    interactions_twilio_auth_token: SecretStr | None = None
    # ORBIT_INTERACTIONS_TWILIO_WEBHOOK_URL: the status callback URL exactly as configured in
    # Twilio (Twilio signs it; behind the gateway the service sees another one); unset: the
    # URL the request arrived at.
    interactions_twilio_webhook_url: str | None = None

    @field_validator("interactions_twilio_auth_token", "interactions_twilio_webhook_url")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | str | None) -> SecretStr | str | None:
        """An empty token (a key anyone could sign with) or URL is no setting."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return value if text and text.strip() else None

    @field_validator("interactions_call_integrations")
    @classmethod
    def _usable_secrets(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, secret in value.items():
            if not INTEGRATION_NAME.fullmatch(name) or name == TWILIO:
                raise ValueError(
                    f"integration name {name!r}: 1 to 50 of a-z, 0-9, - and _ (not {TWILIO!r})"
                )
            text = secret.get_secret_value()
            try:
                key = base64.b64decode(text.removeprefix("whsec_"), validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if not text.startswith("whsec_") or len(key) < 16:
                raise ValueError(
                    f"the secret of {name!r} is not whsec_ and the base64 of 16 bytes or more"
                )
        return value

    # Email in (docs/operations.md, "Email in"): the mailbox polled over IMAP, off unless
    # ORBIT_INTERACTIONS_IMAP_URL is set (imap://host[:port], or imaps:// for TLS).
    interactions_imap_url: str | None = None
    interactions_imap_user: str | None = None
    interactions_imap_password: str | None = None
    interactions_imap_folder: str = "INBOX"
    # ORBIT_INTERACTIONS_IMAP_POLL_SECONDS: how often the mailbox is read (at a scheduler
    # round, ORBIT_SCHEDULER_INTERVAL_SECONDS, at the earliest).
    interactions_imap_poll_seconds: float = Field(default=60, gt=0, le=24 * 3600)
    # ORBIT_INTERACTIONS_IMAP_BATCH_SIZE: new messages read per poll (the rest at the next).
    interactions_imap_batch_size: int = Field(default=100, ge=1, le=1000)
    interactions_imap_timeout_seconds: float = Field(default=20, gt=0, le=300)
    # ORBIT_INTERACTIONS_EMAIL_OPENS_REQUEST: whether a mail from a client (a known contact,
    # or a reply in an Orbit thread) that expects an answer opens a request (its SLA runs);
    # automatic mail (Auto-Submitted, Precedence: bulk/list/junk) never does.
    interactions_email_opens_request: bool = True
    # ORBIT_INTERACTIONS_EMAIL_REQUEST_MAX_AGE_HOURS: a mail sent longer ago than this when it
    # is read (a mailbox's history, read when it is connected) is logged but opens no request.
    interactions_email_request_max_age_hours: int = Field(default=168, ge=1, le=24 * 365)

    # ORBIT_INTERACTIONS_EMAIL_ATTACHMENTS_SECONDS: how often the attachments of logged mail
    # still waiting are handed to the files again (the clients service unreachable before).
    interactions_email_attachments_seconds: float = Field(default=30, gt=0, le=24 * 3600)
    # ORBIT_INTERACTIONS_EMAIL_ATTACHMENT_MAX_ATTEMPTS, ..._MAX_AGE_HOURS: an attachment the
    # files did not take after this many failed hand-overs (each next one after a delay
    # doubling from the interval above, up to 6 hours), or this long after it began to wait
    # (its message taken in or assigned; held with an unmatched message: taken in), is given
    # up on: ``expired``, its bytes dropped, logged, not tried again.
    interactions_email_attachment_max_attempts: int = Field(default=30, ge=1, le=10_000)
    interactions_email_attachment_max_age_hours: int = Field(default=168, ge=1, le=24 * 365)

    # ORBIT_INTERACTIONS_INBOUND_EMAIL_TOKEN: the secret of the inbound email webhook's URL
    # (POST /api/v1/integrations/emails/postmark/{token}); unset, the webhook is off (404).
    interactions_inbound_email_token: str | None = Field(default=None, min_length=24)

    @field_validator("interactions_imap_url")
    @classmethod
    def _imap(cls, value: str | None) -> str | None:
        if value:
            parse_imap_url(value)
        return value


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    tls: bool


def parse_imap_url(url: str) -> ImapTarget:
    """``imap://host[:port]`` (143) or ``imaps://host[:port]`` (993)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("ORBIT_INTERACTIONS_IMAP_URL must be imap://host[:port] or imaps://...")
    tls = parts.scheme == "imaps"
    return ImapTarget(parts.hostname, parts.port or (993 if tls else 143), tls)
