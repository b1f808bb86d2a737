"""Database plumbing that works on PostgreSQL (asyncpg) and SQLite (aiosqlite).

Column types keep values exact on both: ``Money`` is NUMERIC on PostgreSQL and text on SQLite
(SQLite would round a Decimal through float), ``UTCDateTime`` always hands back aware UTC
datetimes, ``JSONType`` is JSONB on PostgreSQL. SQLite's ``lower()`` is Unicode-aware like
PostgreSQL's on every SQLite engine :func:`create_engine` makes.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CompoundSelect,
    Dialect,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    Text,
    cast,
    event,
    func,
    select,
    true,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Join
from sqlalchemy.types import DateTime, TypeDecorator

from shared.sqlite_inline import inline_creator, is_inline

SQLITE_BUSY_TIMEOUT_SECONDS = 30

JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
# An autoincrementing 64-bit key on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Money(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC(20, 6) on PostgreSQL, its text on SQLite."""

    impl = Numeric(20, 6)
    cache_ok = True

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 6, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        if dialect.name == "sqlite":
            return format(value, "f")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # asyncpg hands back a Decimal already (SQLite: the text).
        return _plain(value if isinstance(value, Decimal) else Decimal(str(value)))


_ONE = Decimal(1)


def _plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (100.000000 -> 100).

    A whole amount is quantized to units (``normalize`` would give ``1E+2``), any other
    normalized; every amount of a page goes through here (a quarter of the cost of loading an
    invoice), so no ``as_tuple``."""
    if value == value.to_integral_value():
        return value.quantize(_ONE)
    return value.normalize()


# ---------------------------------------------------------------- exact money arithmetic in SQL
# A report that aggregates in the database adds and compares amounts there: PostgreSQL's
# NUMERIC is exact; SQLite keeps a Money as its text, and its own sum() and arithmetic go
# through float (0.1 + 0.2). On SQLite these run Decimal functions registered on each
# connection (``_configure_sqlite``), so both give the same exact amounts.


class _MoneySum(FunctionElement[Decimal]):
    type = Money()
    inherit_cache = True


class _MoneySub(FunctionElement[Decimal]):
    type = Money()
    inherit_cache = True


class _MoneySign(FunctionElement[int]):
    type = Integer()
    inherit_cache = True


def money_sum(amount: Any) -> ColumnElement[Decimal]:
    """SQL: the exact sum of a Money expression (NULL over no rows, like ``sum``)."""
    return _MoneySum(amount)


def money_sub(amount: Any, other: Any) -> ColumnElement[Decimal]:
    """SQL: ``amount - other``, exact (NULL if either is)."""
    return _MoneySub(amount, other)


def money_sign(amount: Any) -> ColumnElement[int]:
    """SQL: -1, 0 or 1 as ``amount`` is negative, zero or positive (NULL for NULL)."""
    return _MoneySign(amount)


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(_MoneySum)
def _sum_sql(element: _MoneySum, compiler: SQLCompiler, **kw: Any) -> str:
    return "sum({})".format(*_args(element, compiler, **kw))


@compiles(_MoneySub)
def _sub_sql(element: _MoneySub, compiler: SQLCompiler, **kw: Any) -> str:
    return "({} - {})".format(*_args(element, compiler, **kw))


@compiles(_MoneySign)
def _sign_sql(element: _MoneySign, compiler: SQLCompiler, **kw: Any) -> str:
    return "sign({})".format(*_args(element, compiler, **kw))


@compiles(_MoneySum, "sqlite")
@compiles(_MoneySub, "sqlite")
@compiles(_MoneySign, "sqlite")
def _money_sqlite(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    name = {_MoneySum: "money_sum", _MoneySub: "money_sub", _MoneySign: "money_sign"}
    return f"{name[type(element)]}({', '.join(_args(element, compiler, **kw))})"


# ---------------------------------------------------------------- membership in a small set
# ``x IN (SELECT …)`` joined row by row: where the set is small (a head's managers, ~30) and
# the rows many (a list walking an index in its order), PostgreSQL re-reads the set for every
# row (a semi join under the LIMIT). ``x = ANY(ARRAY(SELECT …))`` reads it once (an InitPlan).


class _InSmallSet(FunctionElement[bool]):
    # No type: a Boolean would be compared with 1 on a database without booleans (SQLite).
    inherit_cache = True


def in_small_set(column: Any, members: Select[Any] | CompoundSelect) -> ColumnElement[bool]:
    """SQL: ``column`` is one of the values ``members`` (a one-column select of a few rows)
    returns, read once per statement on PostgreSQL; ``IN (…)`` elsewhere."""
    return _InSmallSet(column, members.scalar_subquery())


@compiles(_InSmallSet)
def _in_small_set_sql(element: _InSmallSet, compiler: SQLCompiler, **kw: Any) -> str:
    return "({} IN {})".format(*_args(element, compiler, **kw))


@compiles(_InSmallSet, "postgresql")
def _in_small_set_pg(element: _InSmallSet, compiler: SQLCompiler, **kw: Any) -> str:
    return "({} = ANY(ARRAY{}))".format(*_args(element, compiler, **kw))


def _exact(value: Any) -> Decimal:
    """A stored amount (its text), or a literal (an int) as a Decimal."""
    return Decimal(str(value))


class _SQLiteMoneySum:
    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = _exact(value) + (self.total or Decimal(0))

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def _sqlite_money_sub(amount: Any, other: Any) -> str | None:
    if amount is None or other is None:
        return None
    return format(_exact(amount) - _exact(other), "f")


def _sqlite_money_sign(amount: Any) -> int | None:
    if amount is None:
        return None
    value = _exact(amount)
    return (value > 0) - (value < 0)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """None on asyncpg: it reads a ``timestamptz`` as an aware datetime in UTC already
        (a page of 50 rows with three instants called the conversion 150 times a call)."""
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    pre_ping: bool = False,
    echo: bool = False,
    parallel_workers: int = 0,
) -> AsyncEngine:
    """An async engine. SQLite: WAL, a busy timeout, write-intent transactions, and ONE
    connection: SQLite runs one write transaction at a time anyway, and writers queueing for
    the pool's connection wake up the moment it is free, where writers on several
    connections would poll SQLite's busy handler (sleeping up to 100 ms between tries: the
    long tail of the embedded mode). Reads go through :func:`read_engine`, a pool of their
    own.

    PostgreSQL: up to ``2 * pool_size`` connections, all of them kept once opened (no
    overflow): overflow connections are closed as they come back, so a load of more
    concurrent requests than ``pool_size`` opened and closed a connection (a new server
    process) for many of them, ~15-25 % of the CPU of a read by id at 16 connections.

    Each connection plans with ``parallel_workers`` as ``max_parallel_workers_per_gather``
    (:func:`server_settings`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo, pool_size=1, read_only=False)
    return create_async_engine(
        url,
        echo=echo,
        pool_size=2 * pool_size,
        max_overflow=0,
        pool_pre_ping=pre_ping,
        connect_args={"server_settings": server_settings(parallel_workers)},
    )


def server_settings(parallel_workers: int = 0) -> dict[str, str]:
    """The PostgreSQL settings of a service's connections. ``max_parallel_workers_per_gather``
    ``parallel_workers`` (default 0: no parallel plans): a service runs many short queries at
    once, and a parallel plan spends more CPU than it saves then (a head's ageing report at
    16 connections: 79 queries/s with PostgreSQL's default of 2 workers, 121 without; see
    docs/benchmarks.md)."""
    return {"max_parallel_workers_per_gather": str(parallel_workers)}


def _sqlite_engine(url: str, *, echo: bool, pool_size: int, read_only: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        echo=echo,
        # sqlite3 called on the event loop's thread, not through aiosqlite's (see
        # shared/sqlite_inline.py); it waits up to the busy timeout for another connection's lock.
        async_creator=inline_creator(database or ":memory:", SQLITE_BUSY_TIMEOUT_SECONDS),
        pool_size=pool_size,
        max_overflow=0,
        execution_options={_READ_ONLY: True} if read_only else {},
    )
    _configure_sqlite(engine)
    return engine


def _unicode_lower(value: Any) -> Any:
    """SQLite's ``lower()`` with Python's case mapping; NULL and non-text values as they are."""
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling defers BEGIN and upgrades read locks to write
    # locks, which fails at once under concurrency; take the write lock when a transaction
    # begins instead, and let the busy timeout queue writers.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's built-in lower() folds ASCII only ("Ä" stays "Ä"); PostgreSQL's folds
        # every letter. Replace it on each connection, so func.lower() matches alike on both
        # (the adapted aiosqlite connection passes create_function to the driver's).
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        dbapi_connection.create_function("money_sub", 2, _sqlite_money_sub, deterministic=True)
        dbapi_connection.create_function("money_sign", 1, _sqlite_money_sign, deterministic=True)
        # (an aggregate the adapted connection does not pass on: the driver's own connection)
        dbapi_connection.driver_connection.create_aggregate("money_sum", 1, _SQLiteMoneySum)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the database; a commit may be lost on a power
        # cut (not on a crash of the process), and commits stop waiting for an fsync each.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # An inline connection fails at once on a lock and waits for it in a worker thread.
        inline = is_inline(dbapi_connection)
        timeout = 0 if inline else SQLITE_BUSY_TIMEOUT_SECONDS * 1000
        cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
        if inline:
            # Its checkpoints run in a worker thread, not inside a commit on the event loop
            # (shared/sqlite_inline.py).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read (read_engine) takes no write lock: readers never queue behind writers.
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


_READ_ONLY = "orbit_read_only"


READ_POOL_SIZE = 4


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """An engine for reads that change nothing. PostgreSQL: the same pool in autocommit (no
    BEGIN/ROLLBACK round trips around a SELECT; each statement sees its own snapshot).
    SQLite: a pool of its own whose transactions are deferred (they take no write lock, and
    WAL lets them read while a write is in progress); dispose it too."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT", **{_READ_ONLY: True})
    return _sqlite_engine(
        engine.url.render_as_string(hide_password=False),
        echo=engine.echo,
        pool_size=READ_POOL_SIZE,
        read_only=True,
    )


@event.listens_for(Session, "loaded_as_persistent")
def _keep_loaded(session: Session, instance: object) -> None:
    """Objects a session loads live as long as the session. Its identity map holds them
    weakly: a use case that checks an object and lets go of it (``await check(...)``) would
    otherwise read it again by the next ``session.get`` once it was collected."""
    session.info.setdefault("orbit.loaded", []).append(instance)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# SQLSTATE classes meaning "the server cannot be used now": 08 connection exception, 53
# insufficient resources (too many connections), 57P operator intervention (shutdown,
# starting up, database dropped).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")
# 55000 (object not in prerequisite state) only with this message: the database is closed to
# new connections (``ALTER DATABASE … ALLOW_CONNECTIONS false``, e.g. during maintenance).
_NOT_ACCEPTING_CONNECTIONS = "is not currently accepting connections"
_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")


def is_database_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or used right now (refused or
    lost connection, server shutting down or starting, pool exhausted, SQLite locked or
    missing) rather than that a statement was wrong."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError):
            return True
        for cause in (exc.orig, getattr(exc.orig, "__cause__", None)):
            state = getattr(cause, "sqlstate", None)
            if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
                return True
            if state == "55000" and _NOT_ACCEPTING_CONNECTIONS in str(cause):
                return True
        return False
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    # asyncpg's connect raises OS errors as they are (refused, unknown host, timeout);
    # they count when they come from the database driver, not from some other client.
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        traceback = exc.__traceback__
        while traceback is not None:
            module = str(traceback.tb_frame.f_globals.get("__name__", ""))
            if module.startswith(_DRIVER_MODULES):
                return True
            traceback = traceback.tb_next
    return False


def json_array(source: Any, fields: Mapping[str, Any], order: Sequence[Any]) -> Select[Any]:
    """PostgreSQL: the rows of ``source`` (a FROM clause) as one JSON array, as text, in
    ``order``; each row an object of ``fields`` (its keys and their expressions, in that
    order), written compactly (``{"a":1,"b":"x"}``, where ``json_build_object`` writes
    ``{"a" : 1, "b" : "x"}``). NULL over no rows. The reports whose JSON the database writes
    (a head's has thousands of rows) use it."""
    values = select(*(value.label(name) for name, value in fields.items()))
    row = values.correlate(*_tables_of(source)).lateral("row")
    listed = func.json_agg(aggregate_order_by(row.table_valued(), *order))
    return select(cast(listed, Text)).select_from(source.join(row, true()))


def _tables_of(source: Any) -> list[Any]:
    """The FROM clauses a join is made of (itself when it is not a join)."""
    if isinstance(source, Join):
        return [*_tables_of(source.left), *_tables_of(source.right)]
    return [source]


async def core_rows(
    session: AsyncSession, stmt: Executable, parameters: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """The rows of a read of columns (a report's aggregates), run on the session's connection
    (with the values of its bound ``parameters``): tuples with their columns' types applied,
    without the ORM's loading of each row (on a head's report of thousands of rows, ~10 % of
    the process's time)."""
    connection = await session.connection()
    return (await connection.execute(stmt, parameters)).all()


async def advisory_xact_lock(session: AsyncSession, key: int, *, wait: bool = True) -> bool:
    """Take the transaction-scoped advisory lock ``key`` (a signed 64-bit integer), held until
    the transaction ends. PostgreSQL: waits for it, or with ``wait=False`` takes it only if it
    is free (False when another transaction holds it). SQLite: True at once, its write
    transactions run one at a time already (``BEGIN IMMEDIATE``, above)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        await session.execute(select(func.pg_advisory_xact_lock(key)))
        return True
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(key))))


@functools.lru_cache(maxsize=512)
def _insert_ignore_stmt(table: Table, dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


@functools.lru_cache(maxsize=512)
def _upsert_stmt(
    table: Table, dialect: str, key: str, columns: tuple[str, ...], unless_newer: str | None
) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[key],
        set_={c: stmt.excluded[c] for c in columns if c != key},
        where=table.c[unless_newer] <= stmt.excluded[unless_newer] if unless_newer else None,
    )


# The two statements below are built once per table (and column set) and executed with the
# values as parameters: building an INSERT .. ON CONFLICT (its ``excluded`` alias, its cache
# key) costs more CPU than running it, and consumers run one per event.


async def insert_ignore(session: AsyncSession, table: Table, values: Mapping[str, Any]) -> bool:
    """INSERT that does nothing on a unique conflict; True when the row was inserted."""
    stmt = _insert_ignore_stmt(table, session.get_bind().dialect.name)
    result = await session.execute(stmt, dict(values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_ignore_many(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """:func:`insert_ignore` for many rows in one statement (a multi-row INSERT); returns the
    ``key`` values of the rows inserted (a key given twice is inserted once)."""
    if not rows:
        return set()
    stmt = _insert_ignore_stmt(table, session.get_bind().dialect.name).returning(table.c[key])
    return set((await session.scalars(stmt, [dict(r) for r in rows])).all())


async def upsert(
    session: AsyncSession,
    table: Table,
    key: str,
    values: Mapping[str, Any],
    *,
    keep: Collection[str] = (),
    unless_newer: str | None = None,
) -> None:
    """INSERT, or UPDATE every given column when a row with the same ``key`` exists. ``keep``:
    columns only inserted, never updated; ``unless_newer``: a column (e.g. a source time) whose
    stored value, when greater than the given one, leaves the existing row as it is (one
    statement where a read of the stored value and a write would be two)."""
    columns = tuple(sorted(c for c in values if c not in keep))
    stmt = _upsert_stmt(table, session.get_bind().dialect.name, key, columns, unless_newer)
    await session.execute(stmt, dict(values))
