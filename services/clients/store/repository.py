"""Queries of the clients service, with the caller's access scope in every one of them."""

from __future__ import annotations

import functools
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Table,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

# the lists' sorts (``?sort=``), declared beside their tables: the routers take them here
from services.clients.store.models import CLIENT_SORTS as CLIENT_SORTS
from services.clients.store.models import CONTACT_SORTS as CONTACT_SORTS
from services.clients.store.models import STAFF_SORTS as STAFF_SORTS
from services.clients.store.models import (
    Assignment,
    Client,
    ClientTag,
    Contact,
    ContactRoleIndex,
    Staff,
)
from shared.auth import Caller, Role, StaffRecord
from shared.db import advisory_xact_lock, in_small_set
from shared.errors import Invalid
from shared.pagination import paginate
from shared.store import locked, one_or_404


def team_of(caller: Caller) -> ColumnElement[bool]:
    """The staff a head leads: those who report to them, and their department."""
    team = Staff.head_id == caller.id
    if caller.department:
        team = or_(team, Staff.department == caller.department)
    return team


def client_scope(caller: Caller) -> ColumnElement[bool]:
    """manager: own clients; head: clients of their department's / team's managers; admin and
    integration: all."""
    if caller.company_wide:
        return true()
    if caller.role == Role.HEAD:
        # One set (the team and themself) on the indexed account_manager_id, not an OR the
        # planner answers by reading the whole table; read once per statement, not per row a
        # list walks (shared.db.in_small_set).
        return in_small_set(Client.account_manager_id, _managers_of(caller))
    return Client.account_manager_id == caller.id


@functools.lru_cache(maxsize=1024)
def _managers_of(head: Caller) -> CompoundSelect:
    """A head's managers and themself: built once per head (a statement is immutable; building
    it cost ~0.1-0.2 ms of each of their lists)."""
    return select(Staff.id).where(team_of(head)).union_all(select(literal(head.id, Uuid)))


def within_days(
    stmt: Select[Any], column: Any, first: date | None, last: date | None
) -> Select[Any]:
    """``stmt`` narrowed to ``column`` within the UTC days ``first``..``last`` (both included;
    either open)."""
    if first is not None:
        stmt = stmt.where(column >= datetime.combine(first, time(0), UTC))
    if last is not None:
        stmt = stmt.where(column < datetime.combine(last + timedelta(days=1), time(0), UTC))
    return stmt


def matching(stmt: Select[Any], q: str | None, name: Any, email: Any) -> Select[Any]:
    """``stmt`` narrowed to the rows whose name or email holds ``q`` (case-insensitively)."""
    if q and q.strip():
        needle = q.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(name).contains(needle, autoescape=True),
                func.lower(email).contains(needle, autoescape=True),
            )
        )
    return stmt


def scoped_clients(caller: Caller) -> Select[Any]:
    return select(Client).where(client_scope(caller))


def filtered_clients(
    caller: Caller,
    *,
    account_manager_id: uuid.UUID | None = None,
    status: str | None = None,
    tier: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    department: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> Select[Any]:
    """The list of clients the caller may see, narrowed by the contract's filters, the
    department of their account manager and the UTC days they were created on (both
    included)."""
    stmt = within_days(scoped_clients(caller), Client.created_at, created_from, created_to)
    if account_manager_id is not None:
        stmt = stmt.where(Client.account_manager_id == account_manager_id)
    if department is not None:
        managers = select(Staff.id).where(Staff.department == department)
        stmt = stmt.where(Client.account_manager_id.in_(managers))
    if status is not None:
        stmt = stmt.where(Client.status == status)
    if tier is not None:
        stmt = stmt.where(Client.tier == tier)
    if tag and tag.strip():
        # Tags are stored lower-case (domain/tags.py): the filter is case-insensitive.
        tagged = select(ClientTag.client_id).where(ClientTag.tag == tag.strip().lower())
        stmt = stmt.where(Client.id.in_(tagged))
    if q and q.strip():
        stmt = stmt.where(Client.name_lower.contains(q.strip().lower(), autoescape=True))
    return stmt


# The read by id of a manager (their own clients) and of an admin or integration (any), the
# most frequent reads: built once with bound ids (building the select cost more than running it).
_ANY_CLIENT_BY_ID = select(Client).where(Client.id == bindparam("client_id"))
_CLIENT_BY_ID = {
    Role.MANAGER: select(Client).where(
        Client.account_manager_id == bindparam("caller_id"), Client.id == bindparam("client_id")
    ),
    Role.ADMIN: _ANY_CLIENT_BY_ID,
    Role.INTEGRATION: _ANY_CLIENT_BY_ID,
}


async def get_client(
    session: AsyncSession, caller: Caller, client_id: uuid.UUID, *, for_update: bool = False
) -> Client:
    """The client if the caller may see it, else 404."""
    prebuilt = _CLIENT_BY_ID.get(caller.role)
    if prebuilt is not None:
        return await one_or_404(
            session,
            prebuilt,
            Client,
            "client",
            client_id,
            for_update=for_update,
            params={"caller_id": caller.id, "client_id": client_id},
        )
    stmt = scoped_clients(caller).where(Client.id == client_id)
    return await one_or_404(session, stmt, Client, "client", client_id, for_update=for_update)


async def clients_of_manager(
    session: AsyncSession, manager_id: uuid.UUID, *, for_update: bool = False
) -> list[Client]:
    stmt = (
        select(Client)
        .where(Client.account_manager_id == manager_id)
        .order_by(Client.created_at, Client.id)
    )
    return list((await session.scalars(locked(stmt, Client) if for_update else stmt)).all())


async def count_clients_of_manager(session: AsyncSession, manager_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(Client).where(Client.account_manager_id == manager_id)
    return int(await session.scalar(stmt) or 0)


# Built once, of the table: a new client's first assignment is written as a statement, not
# flushed as an ORM object (an ORM flush per client was a fifth of an import's time).
_INSERT_ASSIGNMENT = insert(cast(Table, Assignment.__table__))


async def add_first_assignment(
    session: AsyncSession, client: Client, assigned_by: uuid.UUID, at: datetime
) -> None:
    """The history row of a new client's first account manager (the client flushed)."""
    await session.execute(
        _INSERT_ASSIGNMENT,
        [
            {
                "id": uuid.uuid4(),
                "client_id": client.id,
                "from_manager_id": None,
                "to_manager_id": client.account_manager_id,
                "reason": None,
                "assigned_by": assigned_by,
                "assigned_at": at,
            }
        ],
    )


def assignments_of(client_id: uuid.UUID) -> Select[Any]:
    return select(Assignment).where(Assignment.client_id == client_id)


async def assignments_page(
    session: AsyncSession, client_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[Assignment], str | None]:
    """One page of a client's account managers over time, oldest first (the
    ``ix_client_assignments_client`` index)."""
    return await paginate(
        session,
        assignments_of(client_id),
        [Assignment.assigned_at, Assignment.id],
        limit=limit,
        cursor=cursor,
    )


# ---------------------------------------------------------------- staff


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def get_staff_for_update(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.scalar(locked(select(Staff).where(Staff.id == staff_id), Staff))


# Key of the transaction-scoped advisory lock that serialises changes of who reports to whom.
HIERARCHY_LOCK = zlib.crc32(b"orbit.clients.staff_hierarchy")


async def lock_hierarchy(session: AsyncSession) -> None:
    """Serialise changes of the reporting lines (head_id, a head's role or activity) until the
    transaction ends, so two concurrent changes cannot make a cycle or leave someone reporting
    to a former head (an advisory lock)."""
    await advisory_xact_lock(session, HIERARCHY_LOCK)


async def heads_above(session: AsyncSession, staff_id: uuid.UUID) -> list[uuid.UUID]:
    """``staff_id`` and the heads above them, following ``head_id`` upwards (read fresh from
    the database; stops at the top or at a cycle)."""
    chain: list[uuid.UUID] = []
    current: uuid.UUID | None = staff_id
    while current is not None and current not in chain:
        chain.append(current)
        current = await session.scalar(select(Staff.head_id).where(Staff.id == current))
    return chain


async def count_reports(session: AsyncSession, head_id: uuid.UUID) -> int:
    """Active members of staff whose head is ``head_id``."""
    stmt = (
        select(func.count())
        .select_from(Staff)
        .where(Staff.head_id == head_id, Staff.active.is_(True))
    )
    return int(await session.scalar(stmt) or 0)


async def staff_by_email(session: AsyncSession, email: str) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.email == email))


def filtered_staff(
    *,
    role: str | None = None,
    department: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> Select[Any]:
    """The staff directory (every member of staff may read it)."""
    stmt = select(Staff)
    if role is not None:
        stmt = stmt.where(Staff.role == role)
    if department is not None:
        stmt = stmt.where(Staff.department == department)
    if active is not None:
        stmt = stmt.where(Staff.active == active)
    return matching(stmt, q, Staff.name, Staff.email)


async def is_in_team(session: AsyncSession, caller: Caller, staff_id: uuid.UUID) -> bool:
    """Whether ``staff_id`` is the head ``caller`` or one of the staff they lead."""
    if staff_id == caller.id:
        return True
    found = await session.scalar(select(Staff.id).where(Staff.id == staff_id, team_of(caller)))
    return found is not None


async def load_staff_record(session: AsyncSession, staff_id: uuid.UUID) -> StaffRecord | None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return None
    return StaffRecord(staff.id, staff.role, staff.department, staff.active)


# Built once: the tag rows are written as parameters of one statement (an ORM flush of
# ClientTag objects costs several times the insert).
_INSERT_TAGS = insert(cast(Table, ClientTag.__table__))


async def set_tags(session: AsyncSession, client: Client, *, new: bool = False) -> None:
    """Mirror ``client.tags`` into the tag index table (a ``new`` client has no rows yet).
    The client's row must be in the database already (flushed)."""
    if not new:
        await session.execute(delete(ClientTag).where(ClientTag.client_id == client.id))
    rows = [{"client_id": client.id, "tag": t} for t in sorted(set(client.tags))]
    if rows:
        await session.execute(_INSERT_TAGS, rows)


# ---------------------------------------------------------------- contacts


def scoped_contacts(caller: Caller) -> Select[Any]:
    """Contacts of the clients the caller may see."""
    return select(Contact).join(Client, Client.id == Contact.client_id).where(client_scope(caller))


def contacts_of(
    caller: Caller,
    client_id: uuid.UUID | None,
    role: str | None = None,
    q: str | None = None,
) -> Select[Any]:
    """The contacts the caller may see (of one client when given), with ``role``, whose
    name or email holds ``q`` (case-insensitively)."""
    stmt = scoped_contacts(caller)
    if client_id is not None:
        stmt = stmt.where(Contact.client_id == client_id)
    stmt = matching(stmt, q, Contact.name, Contact.email)
    if role is not None:
        stmt = stmt.where(
            Contact.id.in_(select(ContactRoleIndex.contact_id).where(ContactRoleIndex.role == role))
        )
    return stmt


async def contacts_of_client(session: AsyncSession, client_id: uuid.UUID) -> list[Contact]:
    """Every contact of a client, oldest first (no scope: for the events it carries)."""
    stmt = (
        select(Contact)
        .where(Contact.client_id == client_id)
        .order_by(Contact.created_at, Contact.id)
    )
    return list((await session.scalars(stmt)).all())


async def get_contact(
    session: AsyncSession, caller: Caller, contact_id: uuid.UUID, *, for_update: bool = False
) -> Contact:
    """The contact if the caller may see its client, else 404."""
    stmt = scoped_contacts(caller).where(Contact.id == contact_id)
    return await one_or_404(session, stmt, Contact, "contact", contact_id, for_update=for_update)


async def get_client_of_contact(
    session: AsyncSession, caller: Caller, contact_id: uuid.UUID, *, for_update: bool = False
) -> Client:
    """The client of the contact if the caller may see it, else 404 naming the contact (one
    query: the contact's client found by a subquery, so it can be locked first)."""
    owner = select(Contact.client_id).where(Contact.id == contact_id).scalar_subquery()
    stmt = scoped_clients(caller).where(Client.id == owner)
    return await one_or_404(session, stmt, Client, "contact", contact_id, for_update=for_update)


async def contact_by_email(
    session: AsyncSession, client_id: uuid.UUID, email: str
) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.client_id == client_id, Contact.email == email)
    )


async def set_contact_roles(session: AsyncSession, contact: Contact) -> None:
    """Mirror ``contact.roles`` into the role index table."""
    await session.execute(delete(ContactRoleIndex).where(ContactRoleIndex.contact_id == contact.id))
    session.add_all(
        ContactRoleIndex(contact_id=contact.id, role=r, client_id=contact.client_id)
        for r in sorted(set(contact.roles))
    )
    await session.flush()


async def birthday_candidates(
    session: AsyncSession, month_days: Sequence[int], scope: ColumnElement[bool] | None = None
) -> list[tuple[Contact, Client]]:
    """Contacts of clients that are not churned whose birthday falls on one of
    ``month_days`` (keys ``month * 100 + day``), with their client."""
    if not month_days:
        return []
    stmt = (
        select(Contact, Client)
        .join(Client, Client.id == Contact.client_id)
        .where(Contact.birthday_md.in_(list(month_days)), Client.status != "churned")
        .order_by(Contact.id)
    )
    if scope is not None:
        stmt = stmt.where(scope)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


# ---------------------------------------------------------------- external ids (imports)

Keyed = type[Staff] | type[Client] | type[Contact]


async def external_ids(session: AsyncSession, entity: Keyed) -> dict[str, uuid.UUID]:
    """``external_id -> id`` of every staff member, client or contact that has one (no
    scope: an import gives the id to a use case, which reads it in the caller's scope)."""
    stmt = select(entity.external_id, entity.id).where(entity.external_id.is_not(None))
    return {str(key): id_ for key, id_ in (await session.execute(stmt)).all()}


# ``session.info`` key: ``{table: {external_id: id}}``, every key of the table as this
# transaction sees it, kept by an import for its session (a query per imported row spared).
KNOWN_EXTERNAL_IDS = "orbit.clients.external_ids"


async def check_external_id(
    session: AsyncSession, entity: Keyed, key: str | None, own_id: uuid.UUID | None
) -> None:
    """``key`` is no other record's ``external_id`` (else a 422 naming the field)."""
    if key is None:
        return
    known = session.info.get(KNOWN_EXTERNAL_IDS, {}).get(entity.__tablename__)
    if known is not None:
        other = known.get(key)
    else:
        other = await session.scalar(select(entity.id).where(entity.external_id == key))
    if other is not None and other != own_id:
        raise Invalid.field("external_id", f"{key!r} is the external_id of another record")
