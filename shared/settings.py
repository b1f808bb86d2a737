"""Typed settings from the environment (``ORBIT_`` prefix), shared by every service.

A service's own knobs live in its ``settings.py`` and carry its name (``billing_...`` read
from ``ORBIT_BILLING_...``). A knob renamed so keeps its old variable as a deprecated alias
(:func:`renamed`): read when the new one is unset, with a warning."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, AliasGenerator, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("clients", "interactions", "billing", "notifications")
MAX_WORKERS = 32  # processes of one service under ``orbit serve`` (ORBIT_WORKERS)
DEV_JWT_SECRET = "orbit-dev-secret-change-me-0123456789abcdef"

log = logging.getLogger("orbit.settings")


def renamed(service: str, *old_names: str) -> SettingsConfigDict:
    """The ``model_config`` of a service's settings whose knobs ``old_names`` were renamed to
    carry the service's name (``dunning_schedule`` -> ``billing_dunning_schedule``): each is
    read from ``ORBIT_<SERVICE>_<NAME>``, else from its old ``ORBIT_<NAME>`` (deprecated)."""
    old_of = {f"{service}_{old}": old for old in old_names}

    def names(field: str) -> AliasChoices | None:
        old = old_of.get(field)
        return AliasChoices(f"ORBIT_{field.upper()}", f"ORBIT_{old.upper()}") if old else None

    # None: the field keeps its own name (AliasGenerator skips it; its stub says otherwise).
    generator = AliasGenerator(validation_alias=names)  # type: ignore[arg-type]
    return SettingsConfigDict(alias_generator=generator)


def deprecated_variables(
    settings_cls: type[BaseSettings], environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The deprecated variables set in ``environ`` that ``settings_cls`` still reads: old
    name -> new name (:func:`renamed`)."""
    present = {name.upper() for name in environ}
    found = {}
    for info in settings_cls.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            new, *olds = [str(choice) for choice in alias.choices]
            found.update({old: new for old in olds if old.upper() in present})
    return found


class OrbitSettings(BaseSettings):
    """Every knob of Orbit. A field ``foo_bar`` is read from ``ORBIT_FOO_BAR``."""

    # validate_by_name: a renamed knob (an alias) is still given by its field name in code.
    model_config = SettingsConfigDict(env_prefix="ORBIT_", extra="ignore", validate_by_name=True)

    env: Literal["dev", "test", "prod"] = "dev"
    log_level: str = "INFO"
    # JSON lines, or readable text; auto: text when stderr is a terminal, else JSON.
    log_format: Literal["auto", "json", "text"] = "auto"
    data_dir: Path = Path("./var")

    # Databases: ORBIT_DATABASE_URL may hold "{service}" to name one database per service;
    # ORBIT_<SERVICE>_DATABASE_URL overrides it for one service. Unset: SQLite files in data_dir.
    database_url: str | None = None
    clients_database_url: str | None = None
    interactions_database_url: str | None = None
    billing_database_url: str | None = None
    notifications_database_url: str | None = None
    database_pool_size: int = 10
    # Test each pooled connection with a round trip before use. Off by default: after a
    # database restart, the first statement on a dead connection fails (503) and the whole
    # pool is refreshed, instead of a ping on every checkout.
    database_pool_pre_ping: bool = False
    # PostgreSQL: max_parallel_workers_per_gather of the services' connections. 0 (no parallel
    # plans): under concurrent requests a parallel plan costs more CPU than it saves.
    database_parallel_workers: int = Field(default=0, ge=0, le=64)

    # Event bus: Kafka when ORBIT_KAFKA_BOOTSTRAP is set, else the in-process bus.
    kafka_bootstrap: str | None = None
    kafka_partitions: int = Field(default=3, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    relay_batch_size: int = Field(default=200, ge=1)
    # PostgreSQL: batches a relay publishes per transaction, pipelined (the next is read and
    # the last marked sent while one is on its way to Kafka; one batch in flight at a time).
    relay_batches_per_round: int = Field(default=10, ge=1)
    relay_interval_seconds: float = Field(default=0.2, gt=0)
    # After a commit wakes the relay, it waits this long so concurrent commits share a batch.
    relay_linger_seconds: float = Field(default=0.005, ge=0, le=1)
    consumer_max_attempts: int = Field(default=4, ge=1)
    # Kafka consumers apply up to this many events of a poll per transaction (1: one each)
    consumer_batch_size: int = Field(default=50, ge=1)
    consumer_backoff_seconds: float = Field(default=0.2, ge=0)
    consumer_backoff_max_seconds: float = Field(default=5.0, ge=0)

    scheduler_interval_seconds: float = Field(default=30, gt=0)

    # Retention (shared/retention.py): sent outbox rows and inbox rows (and a service's own
    # rows, e.g. deliveries) older than this are deleted, in batches, every interval.
    retention_outbox_days: float = Field(default=7, gt=0)
    retention_inbox_days: float = Field(default=30, gt=0)
    retention_deliveries_days: float = Field(default=90, gt=0)
    # Audit rows (shared/audit.py): years, far beyond the outbox's days.
    retention_audit_days: float = Field(default=3650, gt=0)
    retention_batch_size: int = Field(default=1000, ge=1, le=100_000)
    retention_interval_seconds: float = Field(default=3600, gt=0)

    # Auth
    jwt_secret: str = DEV_JWT_SECRET
    jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = 30
    # How long a caller's staff record is cached per process (0: read it on every request).
    # A change made or received by the process applies at once; other processes within this.
    auth_cache_seconds: float = Field(default=5.0, ge=0)

    # Read-your-writes (shared/readthrough.py): where interactions, billing and notifications
    # read a client, contact or member of staff their replica does not have yet. Unset: the
    # clients service in the same process (orbit run), else none (the replica only).
    clients_url: str | None = None
    # How long such a read may take before the call answers 503 (Retry-After).
    owner_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # The bearer token of those reads (role "service"); unset: one signed with jwt_secret.
    service_token: str | None = None
    # Where notifications fetches the documents billing renders (the invoice PDF attached to
    # emails; shared/documents.py), with the same token and timeout. Unset: the billing
    # service in the same process (orbit run), else none (the emails go without the PDF).
    billing_url: str | None = None
    # Where the clients service asks which client an interaction or a meeting report belongs
    # to (a document attached to it; shared/owners.py), as billing_url for contracts and
    # invoices. Unset: the interactions service in the same process (orbit run), else none
    # (such uploads answer 503).
    interactions_url: str | None = None

    smtp_url: str | None = None

    # Browser frontends on other origins: comma-separated origins (https://app.example.com),
    # or "*"; empty (the default): no CORS headers, the browser allows the same origin only.
    cors_origins: str = ""

    # The largest request body accepted (bytes); a larger one is a 413 (shared/body_limit.py).
    # 1 MiB: an invoice of 500 lines of 1000 characters fits.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # How long a stopping server waits for open requests and streams (below compose's grace).
    shutdown_timeout_seconds: int = Field(default=8, gt=0)

    # Processes ``orbit serve`` runs for its service behind one port (each one a replica:
    # its own pools, relay, consumers, scheduler); ``orbit run`` is one process.
    workers: int = Field(default=1, ge=1, le=MAX_WORKERS)

    @model_validator(mode="after")
    def _warn_deprecated_variables(self) -> OrbitSettings:
        for old, new in sorted(deprecated_variables(type(self)).items()):
            log.warning("%s is deprecated: set %s instead", old, new)
        return self

    @model_validator(mode="after")
    def _refuse_dev_secret_in_prod(self) -> OrbitSettings:
        if self.env == "prod" and self.jwks_url is None and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError(
                "ORBIT_JWT_SECRET is the development default; set a real secret "
                "or ORBIT_JWKS_URL when ORBIT_ENV=prod"
            )
        return self

    def database_url_for(self, service: str) -> str:
        """The SQLAlchemy URL of one service's own database."""
        override = getattr(self, f"{service}_database_url", None)
        if override:
            return str(override)
        if self.database_url:
            return self.database_url.replace("{service}", service)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').as_posix()}"

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]


def default_of(name: str) -> Any:
    """The default of one of :class:`OrbitSettings`' knobs, for a component built without
    settings (a test, a tool): the one value, never a second copy in a signature."""
    return OrbitSettings.model_fields[name].default
