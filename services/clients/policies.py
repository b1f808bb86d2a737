"""The policies in force (``/api/v1/settings``), as the clients service applies them: the
environment's values are version 0 (:func:`bootstrap_of`), the stored documents override them
(the global one, then a department's), and a client's effective SLA follows its account
manager's department (:class:`ClientPolicies`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.domain import policies as rules
from services.clients.domain.sla import effective_sla
from services.clients.settings import ClientsSettings
from services.clients.store import settings as store
from services.clients.store.models import Client, SettingsVersion
from shared.uow import UnitOfWork

GLOBAL = ""  # the global scope's key (a department's is its name)


def bootstrap_of(settings: ClientsSettings) -> dict[str, Any]:
    """Version 0: what the environment and the code set."""
    return rules.bootstrap(
        settings.clients_sla_defaults,
        settings.clients_default_working_hours,
        settings.clients_birthday_notice_days,
    )


@dataclass(frozen=True)
class PolicyBook:
    """Every scope's stored document in force, over the environment's values."""

    defaults: dict[str, Any]
    stored: dict[str, SettingsVersion]
    _effective: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def document(self, department: str | None) -> dict[str, Any] | None:
        found = self.stored.get(department or GLOBAL)
        return None if found is None else found.document

    def version(self, department: str | None) -> int:
        found = self.stored.get(department or GLOBAL)
        return 0 if found is None else found.version

    def effective(self, department: str | None) -> dict[str, Any]:
        """The values in force for ``department`` (the global ones for None)."""
        key = department or GLOBAL
        found = self._effective.get(key)
        if found is None:
            found = self._effective[key] = rules.effective(
                self.defaults, self.document(GLOBAL), self.document(key) if key else None
            )
        return found

    def departments_set_sla(self) -> bool:
        """Whether some department's document sets what a client's SLA depends on."""
        return any(
            scope and rules.SLA_POLICY_FIELDS & set(row.document)
            for scope, row in self.stored.items()
        )


async def load_book(session: AsyncSession, settings: ClientsSettings) -> PolicyBook:
    rows = await store.current_versions(session)
    return PolicyBook(bootstrap_of(settings), {row.department: row for row in rows})


@dataclass
class ClientPolicies:
    """The policies of one request: loaded once (:meth:`ready`), then a client's effective
    SLA for its account manager's department (:meth:`sla`); the presenters find each
    client's department in :attr:`departments` (:meth:`load`)."""

    settings: ClientsSettings
    book: PolicyBook | None = None
    departments: dict[uuid.UUID, str | None] = field(default_factory=dict)

    async def ready(self, session: AsyncSession) -> PolicyBook:
        if self.book is None:
            self.book = await load_book(session, self.settings)
        return self.book

    async def load(self, session: AsyncSession, clients: Iterable[Client]) -> ClientPolicies:
        """Ready to present ``clients``: the book, and their managers' departments when a
        department sets an SLA policy of its own."""
        book = await self.ready(session)
        if book.departments_set_sla():
            missing = {
                c.account_manager_id
                for c in clients
                if c.account_manager_id is not None and c.account_manager_id not in self.departments
            }
            self.departments.update(await store.departments_of(session, missing))
        return self

    def department_of(self, client: Client) -> str | None:
        if client.account_manager_id is None:
            return None
        return self.departments.get(client.account_manager_id)

    def sla(self, client: Client, department: str | None) -> dict[str, Any]:
        """The client's effective SLA: its department's tier defaults and calendar, overridden
        by the client's own settings (call :meth:`ready` first)."""
        if self.book is None:
            raise RuntimeError("ClientPolicies.ready() was not awaited")
        values = self.book.effective(department)
        return effective_sla(
            client.tier,
            client.sla_overrides,
            tier_defaults=values["sla_defaults"],
            client_timezone=client.timezone,
            client_country=client.country,
            default_working_hours=values["working_hours"],
            default_holidays_country=values.get("holidays_country"),
        )


def presentable(
    policies: ClientPolicies, command: Callable[[UnitOfWork], Awaitable[Client]]
) -> Callable[[UnitOfWork], Awaitable[Client]]:
    """``command``, then ``policies`` loaded to present the client it returns (in the same
    unit of work)."""

    async def run(uow: UnitOfWork) -> Client:
        client = await command(uow)
        await policies.load(uow.session, [client])
        return client

    return run
