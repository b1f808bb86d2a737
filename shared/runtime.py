"""What a running service is made of, wired at start-up (never at import).

A service describes itself with a :class:`ServiceSpec`; :class:`ServiceRuntime` builds its
engine, unit of work, outbox relay, consumer and scheduler against the settings, a bus and a
clock, and starts/stops their tasks. ``shared.app.build_app`` serves one or several.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import StaffCache, StaffRecord, TokenVerifier
from shared.clock import Clock, SystemClock
from shared.db import create_engine, read_engine, session_factory
from shared.documents import DocumentFetch, http_documents
from shared.imports import KEEPER, ImportRun, http_importer
from shared.kept_files import FileKeep, http_keeper
from shared.logging import log_fields
from shared.messaging.bus import Bus
from shared.messaging.consumer import EventConsumer, EventHandler
from shared.messaging.envelope import CloudEvent, dlq_topic_for, topic_for
from shared.messaging.outbox import OutboxRelay
from shared.migrations import migrate
from shared.owners import OWNING_SERVICE, OwnerLookup, http_owner_lookup
from shared.readthrough import READS_KEY, SESSION_KEY, OwnerFetch, ReadThrough, http_owner
from shared.replica_store import MANAGER_COPIES, fill_manager_copies
from shared.retention import RetentionJob, RetentionRule, platform_rules
from shared.scheduler import ScheduledJob, Scheduler
from shared.settings import OrbitSettings
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.runtime")

READY_TIMEOUT_SECONDS = 5.0
# How often rows written without their client's manager (by the service's previous version,
# during an upgrade) are given it (``ServiceRuntime._fill_manager_copies``).
MANAGER_COPIES_FILL_SECONDS = 600.0

StaffLoader = Callable[[AsyncSession, uuid.UUID], Awaitable[StaffRecord | None]]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    routers: Sequence[APIRouter]
    migrations: Path
    staff_loader: StaffLoader
    handlers: Mapping[str, EventHandler] = field(default_factory=dict)
    # The scheduled jobs, built from the service's settings (an instance of settings_cls).
    jobs: Callable[[Any], Mapping[str, ScheduledJob]] | None = None
    settings_cls: type[OrbitSettings] = OrbitSettings
    # The service's own retention rules (shared/retention.py), beyond the platform's.
    retention: Callable[[Any], Sequence[RetentionRule]] | None = None
    # Long-running workers besides the relay, consumer and scheduler (e.g. the notifications
    # service's email and webhook senders): name -> coroutine function, built from the
    # running service; started with the scheduler, cancelled at stop.
    workers: Callable[[ServiceRuntime], Mapping[str, Callable[[], Awaitable[None]]]] | None = None
    # The owner of the replicated data (the clients service): its running service's fetch of
    # a client's or a member of staff's current state (shared/readthrough.py).
    owner: Callable[[ServiceRuntime], OwnerFetch] | None = None
    # A service keeping replicas of the owner's data: a replica miss reads through to it.
    reads_through: bool = False
    # A service rendering documents for the others' emails (billing: the invoice PDF): its
    # running service's fetch of one (shared/documents.py).
    documents: Callable[[ServiceRuntime], DocumentFetch] | None = None
    # A service attaching those documents to what it sends (notifications: the invoice PDF of
    # an email), from the renderer in this process or at ORBIT_BILLING_URL; the others open
    # no way to it.
    fetches_documents: bool = False
    # A service keeping objects documents are attached to (interactions, billing): its
    # running service's lookup of the client one of them belongs to (shared/owners.py).
    owners: Callable[[ServiceRuntime], OwnerLookup] | None = None
    # The service keeping the documents (clients): it asks the others for their objects'
    # clients (in this process, else at ORBIT_INTERACTIONS_URL / ORBIT_BILLING_URL).
    resolves_owners: bool = False
    # A service keeping records the clients service imports (billing: contracts, invoices):
    # its running service's run of an import's rows (shared/imports.py).
    imports: Callable[[ServiceRuntime], ImportRun] | None = None
    # The service running the imports (clients): it hands the rows of those kinds to the
    # keeper (in this process, else at ORBIT_BILLING_URL).
    imports_elsewhere: bool = False
    # The service keeping documents (clients): its running service's keeping of a file another
    # service hands it (shared/kept_files.py: the attachments of inbound mail).
    keeps_files: Callable[[ServiceRuntime], FileKeep] | None = None
    # A service handing files to that one (interactions: the attachments of inbound mail), in
    # this process or at ORBIT_CLIENTS_URL; the others open no way to it.
    hands_files: bool = False
    # Request bodies larger than ORBIT_MAX_BODY_BYTES a route takes (the uploads): path ->
    # bytes, built from the service's settings (shared/body_limit.py).
    body_limits: Callable[[Any], Mapping[str, int]] | None = None
    # The service's tables keeping a copy of their client's account manager (``client_id`` and
    # ``account_manager_id`` columns: interactions, requests, feedback, invoices), which its
    # sessions keep current with the replica (``shared.replica_store.keep_manager_copies``).
    manager_copies: Sequence[Table] = ()

    def load_settings(self, base: OrbitSettings | None = None) -> OrbitSettings:
        """The settings the service runs with, an instance of ``settings_cls``: ``base`` itself
        when it is one already, else the shared values of ``base`` (or of the environment when
        ``base`` is None) plus the service's own knobs from the environment.

        Raises ``pydantic.ValidationError`` (a ``ValueError``; ``str()`` names the setting)
        when the configuration is invalid."""
        if isinstance(base, self.settings_cls):
            return base
        if base is None:
            return self.settings_cls()
        return self.settings_cls(**base.model_dump())


class ServiceRuntime:
    def __init__(
        self,
        spec: ServiceSpec,
        settings: OrbitSettings,
        bus: Bus,
        clock: Clock | None = None,
        *,
        database_url: str | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        # The service's own settings class adds its knobs (read from the same environment);
        # everything below is built from that one object.
        self.settings = settings = spec.load_settings(settings)
        self.bus = bus
        self.clock: Clock = clock or SystemClock()
        self.database_url = database_url or settings.database_url_for(spec.name)
        self.engine: AsyncEngine = create_engine(
            self.database_url,
            pool_size=settings.database_pool_size,
            pre_ping=settings.database_pool_pre_ping,
            parallel_workers=settings.database_parallel_workers,
        )
        # Sessions of the use cases (one transaction each), and of the reads that change
        # nothing (GET routes, the caller's staff record): no transaction round trips.
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.read_engine = read_engine(self.engine)
        self.reads: async_sessionmaker[AsyncSession] = session_factory(self.read_engine)
        # A lookup that misses a replica finds the service's way to the owner in its session.
        self.read_through = ReadThrough(spec.name, self.sessions)
        if spec.reads_through and settings.clients_url:
            self.read_through.fetch, self.read_through.close = http_owner(settings)
        # The documents the other services render (shared/documents.py): linked in this
        # process (link_documents), else at ORBIT_BILLING_URL.
        self.documents: DocumentFetch | None = None
        self._close_documents: Callable[[], Awaitable[None]] | None = None
        if spec.fetches_documents and settings.billing_url:
            self.documents, self._close_documents = http_documents(settings)
        # The keeping of files by the clients service (shared/kept_files.py): linked in this
        # process (link_files), else at ORBIT_CLIENTS_URL.
        self.files: FileKeep | None = None
        self._close_files: Callable[[], Awaitable[None]] | None = None
        if spec.hands_files and settings.clients_url:
            self.files, self._close_files = http_keeper(settings)
        # Which client another service's object belongs to (shared/owners.py): linked in
        # this process (link_owner_lookups), else at the owning service's URL.
        self.owner_lookups: dict[str, OwnerLookup] = {}
        self._close_lookups: list[Callable[[], Awaitable[None]]] = []
        if spec.resolves_owners:
            for service, url in (
                ("interactions", settings.interactions_url),
                ("billing", settings.billing_url),
            ):
                if url:
                    lookup, close = http_owner_lookup(settings, url)
                    self.owner_lookups[service] = lookup
                    self._close_lookups.append(close)
        # The keepers of the records it imports (shared/imports.py): linked in this process
        # (link_importers), else at their URL.
        self.importers: dict[str, ImportRun] = {}
        if spec.imports_elsewhere and settings.billing_url:
            run, close = http_importer(settings, settings.billing_url)
            self.importers["billing"] = run
            self._close_lookups.append(close)
        copies = tuple(spec.manager_copies)
        self.sessions.configure(info={SESSION_KEY: self.read_through, MANAGER_COPIES: copies})
        self.reads.configure(info={SESSION_KEY: self.read_through, READS_KEY: True})
        self.uow = UnitOfWorkFactory(self.sessions, self.clock)
        self.relay = OutboxRelay(
            spec.name,
            self.sessions,
            bus,
            reads=self.reads,
            batch_size=settings.relay_batch_size,
            batches_per_round=settings.relay_batches_per_round,
            interval=settings.relay_interval_seconds,
            linger=settings.relay_linger_seconds,
            clock=self.clock,
        )
        self.staff = StaffCache(self._read_staff, settings.auth_cache_seconds)
        self.uow.on_commit = self._committed
        self.consumer = EventConsumer(
            spec.name,
            self.uow,
            spec.handlers,
            max_attempts=settings.consumer_max_attempts,
            backoff=settings.consumer_backoff_seconds,
            backoff_max=settings.consumer_backoff_max_seconds,
            on_commit=self.relay.wake,
            on_applied=self.staff.forget_events,
        )
        self.scheduler = Scheduler(
            spec.name,
            self.uow,
            spec.jobs(settings) if spec.jobs else {},
            interval=settings.scheduler_interval_seconds,
            clock=self.clock,
        )
        self.retention = RetentionJob(
            spec.name,
            self.sessions,
            [*platform_rules(settings), *(spec.retention(settings) if spec.retention else [])],
            clock=self.clock,
            batch_size=settings.retention_batch_size,
            interval=settings.retention_interval_seconds,
        )
        self.verifier = TokenVerifier(settings)
        self._tasks: list[asyncio.Task[None]] = []
        # Subscribe now, so an in-process bus delivers to this service from the first publish.
        self._consumer_worker = (
            bus.subscribe(
                self.consumer.group,
                self.consumer.topics,
                self.consumer.process,
                process_batch=self.consumer.process_batch,
            )
            if spec.handlers
            else None
        )

    async def migrate(self) -> None:
        await migrate(self.spec.migrations, self.database_url)

    async def start(
        self, *, relay: bool = True, consumer: bool = True, scheduler: bool = True
    ) -> None:
        def spawn(name: str, coro: Awaitable[None]) -> None:
            # The task's log lines carry the service's name (the task copies this context).
            with log_fields(service=self.name):
                self._tasks.append(
                    asyncio.create_task(coro, name=f"{self.name}.{name}")  # type: ignore[arg-type]
                )

        if relay:
            spawn("topics", self._create_topics())
            spawn("relay", self.relay.run())
        if consumer and self._consumer_worker is not None:
            spawn("consumer", self._consumer_worker.run())
        if scheduler and self.scheduler.jobs:
            spawn("scheduler", self.scheduler.run())
        if scheduler:
            spawn("retention", self.retention.run())
        if scheduler and self.spec.manager_copies:
            spawn("manager_copies", self._fill_manager_copies())
        if scheduler and self.spec.workers is not None:
            for name, work in self.spec.workers(self).items():
                spawn(name, work())

    async def _fill_manager_copies(self) -> None:
        """At start and every ``MANAGER_COPIES_FILL_SECONDS``: the rows an earlier version of
        the service wrote without their client's manager (during an upgrade) get it
        (``shared.replica_store.fill_manager_copies``)."""
        while True:
            try:
                async with self.sessions() as session:
                    filled = await fill_manager_copies(session, self.spec.manager_copies)
                    await session.commit()
                if filled:
                    log.info("gave %d rows their client's account manager", filled)
            except Exception as exc:  # the database away: the next round
                log.warning("cannot fill the manager copies now: %r", exc)
            await asyncio.sleep(MANAGER_COPIES_FILL_SECONDS)

    async def _create_topics(self) -> None:
        """Create ``orbit.<service>`` and its DLQ at start (retrying while the bus is down)."""
        topics = [topic_for(self.name), dlq_topic_for(self.name)]
        delay = 0.5
        while True:
            try:
                await self.bus.ensure_topics(topics)
                return
            except Exception as exc:
                log.warning("cannot create topics %s yet: %r", topics, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    async def stop(self) -> None:
        # The relay finishes its round first: a batch cancelled half-way through would stay
        # queued in the producer and could be sent again by the next relay.
        relay_task = next((t for t in self._tasks if t.get_name().endswith(".relay")), None)
        if relay_task is not None:
            self.relay.stop()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(relay_task), 5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.dispose()

    async def dispose(self) -> None:
        """Close the database pools (and the way to the owner)."""
        if self.read_through.close is not None:
            await self.read_through.close()
        if self._close_documents is not None:
            await self._close_documents()
        if self._close_files is not None:
            await self._close_files()
        for close in self._close_lookups:
            await close()
        await self.read_engine.dispose()
        await self.engine.dispose()

    def _committed(self, events: Sequence[CloudEvent]) -> None:
        """After a commit that wrote events: staff records they change are forgotten, the
        relay is woken."""
        self.staff.forget_events(events)
        self.relay.wake()

    async def load_staff(self, staff_id: uuid.UUID) -> StaffRecord | None:
        """The caller's staff record, through the cache (``ORBIT_AUTH_CACHE_SECONDS``)."""
        return await self.staff.get(staff_id)

    async def _read_staff(self, staff_id: uuid.UUID) -> StaffRecord | None:
        """The staff record; one the replica does not have yet is read through to the owner
        (a member of staff created a moment ago calls at once)."""
        async with self.reads() as session:
            record = await self.spec.staff_loader(session, staff_id)
        if record is None and await self.read_through.staff(staff_id):
            async with self.reads() as session:
                record = await self.spec.staff_loader(session, staff_id)
        return record

    def link_owner(self, owner: ServiceRuntime | None) -> None:
        """Read through to ``owner`` when it runs in this process (``orbit run``); without it
        and without ``ORBIT_CLIENTS_URL``, a replica service has its replicas only."""
        if not self.spec.reads_through:
            return
        if owner is not None and owner.spec.owner is not None:
            self.read_through.fetch = owner.spec.owner(owner)
        elif self.read_through.fetch is None:
            log.warning(
                "%s: ORBIT_CLIENTS_URL is not set: a client, contact or member of staff "
                "created a moment ago is not found until its event arrives",
                self.name,
            )

    def link_documents(self, renderer: ServiceRuntime | None) -> None:
        """Fetch documents from ``renderer`` when it runs in this process (``orbit run``)."""
        if not self.spec.fetches_documents or self.documents is not None:
            return
        if renderer is not None and renderer.spec.documents is not None:
            self.documents = renderer.spec.documents(renderer)

    def link_files(self, keeper: ServiceRuntime | None) -> None:
        """Hand files to ``keeper`` to keep when it runs in this process (``orbit run``)."""
        if not self.spec.hands_files or self.files is not None:
            return
        if keeper is not None and keeper.spec.keeps_files is not None:
            self.files = keeper.spec.keeps_files(keeper)

    def link_owner_lookups(self, runtimes: Sequence[ServiceRuntime]) -> None:
        """Ask the services in this process (``orbit run``) which client their objects belong
        to, unless a URL of theirs is configured."""
        if not self.spec.resolves_owners:
            return
        for other in runtimes:
            if other.spec.owners is not None and other.name not in self.owner_lookups:
                self.owner_lookups[other.name] = other.spec.owners(other)
        missing = sorted(set(OWNING_SERVICE.values()) - set(self.owner_lookups))
        if missing:
            log.warning(
                "%s: no way to the %s service(s) (ORBIT_INTERACTIONS_URL, ORBIT_BILLING_URL): "
                "files of their objects answer 503",
                self.name,
                ", ".join(missing),
            )

    def link_importers(self, runtimes: Sequence[ServiceRuntime]) -> None:
        """Hand the imports of other services' records to those in this process (``orbit
        run``), unless a URL of theirs is configured."""
        if not self.spec.imports_elsewhere:
            return
        for other in runtimes:
            if other.spec.imports is not None and other.name not in self.importers:
                self.importers[other.name] = other.spec.imports(other)
        missing = sorted(set(KEEPER.values()) - set(self.importers))
        if missing:
            log.warning(
                "%s: no way to the %s service(s) (ORBIT_BILLING_URL): imports of their "
                "records fail",
                self.name,
                ", ".join(missing),
            )

    async def database_ready(self) -> bool:
        try:
            # A host that drops packets would hold the probe for asyncpg's 60 s connect timeout.
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                async with self.read_engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
