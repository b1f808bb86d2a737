"""The clients service's knobs (environment ``ORBIT_CLIENTS_...``; their unprefixed names are
still read, deprecated)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, StrictInt, field_validator

from services.clients.domain.files import DEFAULT_ALLOWED_TYPES, parse_allowed_types
from services.clients.domain.sla import SLA_FIELDS, TIERS
from shared.files import FilesBackend, LocalStore, ObjectStore, S3Config, S3Store
from shared.settings import OrbitSettings, renamed


class ClientsSettings(OrbitSettings):
    model_config = renamed(
        "clients", "sla_defaults", "default_working_hours", "birthday_notice_days"
    )

    # Per-tier SLA defaults; key clients get the tightest, small ones the loosest (refused
    # otherwise). ORBIT_CLIENTS_SLA_DEFAULTS takes JSON.
    clients_sla_defaults: dict[str, dict[str, StrictInt]] = Field(
        default_factory=lambda: {
            "key": {
                "first_response_minutes": 60,
                "contact_cadence_days": 3,
                "meeting_report_hours": 24,
            },
            "standard": {
                "first_response_minutes": 240,
                "contact_cadence_days": 7,
                "meeting_report_hours": 48,
            },
            "small": {
                "first_response_minutes": 480,
                "contact_cadence_days": 14,
                "meeting_report_hours": 72,
            },
        }
    )
    # Working hours of a client's calendar when it sets none (its own timezone and country).
    clients_default_working_hours: dict[str, list[str]] = Field(
        default_factory=lambda: {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    clients_birthday_notice_days: int = Field(default=7, ge=0, le=60)
    # Imports (POST /api/v1/imports): the largest file taken (a larger one is a 413; the
    # request is also bound by ORBIT_MAX_BODY_BYTES), the most rows of one file, and how
    # often a replica looks for imports queued elsewhere.
    clients_import_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    clients_import_max_rows: int = Field(default=100_000, ge=1)
    clients_import_poll_seconds: float = Field(default=5, gt=0)

    # Documents (/api/v1/files; shared/files.py, docs/operations.md "Documents"): where their
    # bytes live, local disk (the embedded mode) or an S3-compatible store.
    files_backend: FilesBackend = "local"
    # local: the folder (unset: <ORBIT_DATA_DIR>/files).
    files_dir: Path | None = None
    # s3: the bucket (created when missing), the endpoint (unset: AWS), its region and keys,
    # and the address browsers reach it at when another (the presigned download links).
    files_bucket: str = "orbit-files"
    files_endpoint: str | None = None
    files_region: str = "us-east-1"
    files_access_key: str | None = None
    files_secret_key: str | None = None
    files_public_endpoint: str | None = None
    # s3: before every key ("orbit/": a bucket shared with other data).
    files_prefix: str = ""
    # The largest document (bytes; larger: 413) and the accepted types (larger: 415), a
    # comma-separated list of media types, "type/*" for a family.
    files_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, le=5 * 1024**3)
    files_allowed_types: str = ",".join(DEFAULT_ALLOWED_TYPES)
    # How long a download link lives, and the key signing the local ones (unset: derived
    # from ORBIT_JWT_SECRET).
    files_link_seconds: int = Field(default=300, ge=10, le=7 * 24 * 3600)
    files_link_secret: str | None = None
    # Objects older than this without a row (an upload cut short by a crash) are removed by
    # the files_sweep job.
    files_orphan_minutes: float = Field(default=60, gt=0)
    _object_store: ObjectStore | None = PrivateAttr(default=None)

    @field_validator("files_allowed_types")
    @classmethod
    def _known_types(cls, value: str) -> str:
        parse_allowed_types(value)
        return value

    @property
    def files_allowed(self) -> tuple[str, ...]:
        return parse_allowed_types(self.files_allowed_types)

    @property
    def files_signing_key(self) -> str:
        return self.files_link_secret or f"orbit.files:{self.jwt_secret}"

    def object_store(self) -> ObjectStore:
        """The store of the documents' bytes these settings name (built once)."""
        if self._object_store is None:
            if self.files_backend == "s3":
                self._object_store = S3Store(
                    S3Config(
                        bucket=self.files_bucket,
                        endpoint=self.files_endpoint,
                        region=self.files_region,
                        access_key=self.files_access_key,
                        secret_key=self.files_secret_key,
                        public_endpoint=self.files_public_endpoint,
                        prefix=self.files_prefix,
                    )
                )
            else:
                self._object_store = LocalStore(self.files_dir or self.data_dir / "files")
        return self._object_store

    @field_validator("clients_sla_defaults")
    @classmethod
    def _every_tier_every_target(
        cls, value: dict[str, dict[str, int]]
    ) -> dict[str, dict[str, int]]:
        for tier in TIERS:
            targets = value.get(tier)
            if targets is None:
                raise ValueError(f"no SLA defaults for the {tier} tier")
            for name in SLA_FIELDS:
                target = targets.get(name)  # a StrictInt: never a bool or a string
                if target is None or target < 1:
                    raise ValueError(f"{tier}.{name}: a whole number >= 1 is needed")
        # Key clients get the tightest targets, small ones the loosest (equal is allowed).
        problems = [
            f"{tighter}.{name} ({value[tighter][name]}) is looser than "
            f"{looser}.{name} ({value[looser][name]})"
            for name in SLA_FIELDS
            for tighter, looser in itertools.pairwise(TIERS)
            if value[tighter][name] > value[looser][name]
        ]
        if problems:
            raise ValueError(
                "the SLA defaults must be as tight or tighter for a higher tier "
                "(key <= standard <= small): " + "; ".join(problems)
            )
        return value

    @field_validator("clients_default_working_hours")
    @classmethod
    def _usable_hours(cls, value: dict[str, Any]) -> dict[str, Any]:
        from shared.calendar import CalendarError, parse_calendar

        try:
            parse_calendar({"working_hours": value})
        except CalendarError as exc:
            raise ValueError(f"{exc.field}: {exc.msg}") from exc
        return value
