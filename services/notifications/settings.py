"""The notifications service's knobs (environment ``ORBIT_NOTIFICATIONS_...``, their
unprefixed names still read, deprecated; the SMTP ones are ``ORBIT_SMTP_...``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator

from services.notifications.domain.greetings import check_holiday
from services.notifications.domain.ssrf import Network, parse_networks
from shared.settings import OrbitSettings, renamed


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user:password@]host[:port][?starttls=true|false]`` or ``smtps://...``
    (implicit TLS, port 465 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("ORBIT_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    starttls = query.get("starttls")
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=parts.scheme == "smtps",
        start_tls=None if starttls is None else starttls.lower() in ("1", "true", "yes"),
    )


class NotificationsSettings(OrbitSettings):
    model_config = renamed(
        "notifications",
        "delivery_poll_seconds",
        "delivery_batch_size",
        "delivery_claim_seconds",
        "webhook_connect_timeout_seconds",
        "webhook_read_timeout_seconds",
        "webhook_response_excerpt_bytes",
        "webhook_allowed_networks",
        "webhook_allow_loopback",
        "stream_poll_seconds",
        "stream_heartbeat_seconds",
        "stream_ticket_seconds",
        "escalation_batch_size",
        "report_local_time",
        "report_periods",
    )

    # ORBIT_SMTP_FROM: the From of every email (ORBIT_SMTP_URL says where they go:
    # smtp://[user:password@]host[:port][?starttls=true], or smtps:// for implicit TLS).
    smtp_from: str = "Orbit <orbit@localhost>"
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # ORBIT_NOTIFICATIONS_CC_MANAGER=true: an email to a client's contact is copied to the
    # client's account manager (it always answers to them: Reply-To).
    notifications_cc_manager: bool = False
    # ORBIT_NOTIFICATIONS_DELIVERY_POLL_SECONDS: how often the delivery workers look for due
    # emails and webhooks; ..._DELIVERY_BATCH_SIZE: how many each takes at a time;
    # ..._DELIVERY_CLAIM_SECONDS: how long a taken delivery is reserved for the worker that
    # took it (after a crash another worker takes it once this has passed).
    notifications_delivery_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    notifications_delivery_batch_size: int = Field(default=20, ge=1, le=500)
    notifications_delivery_claim_seconds: float = Field(default=120, ge=5, le=3600)
    # Webhooks: connect and read timeouts, bytes of the response body kept, and the SSRF
    # exceptions (ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS: comma-separated CIDRs;
    # ..._WEBHOOK_ALLOW_LOOPBACK=true: loopback only, for development and tests).
    notifications_webhook_connect_timeout_seconds: float = Field(default=5, gt=0, le=60)
    notifications_webhook_read_timeout_seconds: float = Field(default=10, gt=0, le=120)
    notifications_webhook_response_excerpt_bytes: int = Field(default=512, ge=0, le=65536)
    notifications_webhook_allowed_networks: str = ""
    notifications_webhook_allow_loopback: bool = False
    # The live stream (services/notifications/stream.py): pushed as entries commit
    # (PostgreSQL LISTEN/NOTIFY; in-process with SQLite). ..._STREAM_POLL_SECONDS: a safety
    # read of every open stream even when nothing woke it; ..._STREAM_PUSH=false: no push,
    # each stream reads at that period (what the streams did before: 0.5 s; the baseline of
    # make bench). ..._STREAM_HEARTBEAT_SECONDS: the comment that keeps proxies from closing
    # a silent stream.
    notifications_stream_push: bool = True
    notifications_stream_poll_seconds: float = Field(default=60, gt=0, le=3600)
    notifications_stream_heartbeat_seconds: float = Field(default=15, gt=0, le=300)
    # ORBIT_NOTIFICATIONS_STREAM_TICKET_SECONDS: how long a stream ticket (a browser's
    # EventSource) may wait before it opens the stream.
    notifications_stream_ticket_seconds: float = Field(default=60, ge=1, le=600)
    # ORBIT_NOTIFICATIONS_ESCALATION_BATCH_SIZE: unacknowledged alerts the escalation scan
    # climbs per transaction.
    notifications_escalation_batch_size: int = Field(default=200, ge=1, le=10_000)
    # The scorecard's scheduled reports (sent as email deliveries, like every email):
    # ORBIT_NOTIFICATIONS_REPORT_LOCAL_TIME: when they are written, in each recipient's
    # timezone (daily every day, weekly on Mondays, monthly on the 1st; "HH:MM");
    # ..._REPORT_PERIODS: which are written (a JSON list).
    notifications_report_local_time: time = time(7, 0)
    notifications_report_periods: list[str] = Field(
        default_factory=lambda: ["day", "week", "month"]
    )
    # Greetings to the contacts of the clients whose manager turned them on (the client's
    # ``greetings``): ORBIT_NOTIFICATIONS_GREETING_HOLIDAYS: the holidays each department
    # greets on, a JSON object of department -> codes of domain/greetings.py HOLIDAYS or
    # "MM-DD" dates ("*": every other department; {}: birthdays only), e.g.
    # {"*": ["new_year"], "moscow": ["new_year", "international_womens_day"]};
    # ..._GREETING_LOCAL_TIME: from when on the day, in the client's time zone ("HH:MM").
    notifications_greeting_holidays: dict[str, list[str]] = Field(default_factory=dict)
    notifications_greeting_local_time: time = time(9, 0)

    @field_validator("notifications_greeting_holidays")
    @classmethod
    def _holidays(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for codes in value.values():
            for code in codes:
                check_holiday(code)
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str | None) -> str | None:
        if value:
            parse_smtp_url(value)
        return value

    @field_validator("notifications_webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(f"not a comma-separated list of CIDRs: {exc}") from exc
        return value

    @property
    def allowed_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.notifications_webhook_allowed_networks)
