"""shared/db.py on SQLite: the engines Orbit creates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, literal, null, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.db import Money, create_engine, money_sign, money_sub, money_sum


async def test_sqlite_lower_is_unicode_aware_like_postgresql(tmp_path: Path) -> None:
    # SQLite's built-in lower() folds ASCII only: it gave "Ärger" for "ÄRGER".
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lower.db'}")
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.lower(literal("ÄRGER Élan ΣΟΦΙΑ")),
                        func.lower(null()),
                        func.lower(literal("plain")),
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    assert tuple(row) == ("ärger élan σοφια", None, "plain")


async def test_sqlite_money_sum_sub_and_sign_are_exact(tmp_path: Path) -> None:
    # SQLite keeps a Money as text; its own sum() and "-" go through float (0.1 + 0.2 gave
    # 0.30000000000000004): the report aggregates use these Decimal ones on SQLite.
    amounts = Table("amounts", MetaData(), Column("k", Integer), Column("amount", Money))
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'money.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(amounts.metadata.create_all)
            values = [(1, "0.1"), (1, "0.2"), (2, "99999999999999.99"), (2, "0.01"), (3, None)]
            await conn.execute(
                amounts.insert(), [{"k": k, "amount": v and Decimal(v)} for k, v in values]
            )
            sums = (
                await conn.execute(
                    select(amounts.c.k, money_sum(amounts.c.amount))
                    .group_by(amounts.c.k)
                    .order_by(amounts.c.k)
                )
            ).all()
            left = money_sub(amounts.c.amount, literal(Decimal("0.3"), Money))
            diffs = (
                await conn.execute(
                    select(amounts.c.amount, left, money_sign(left)).order_by(amounts.c.amount)
                )
            ).all()
            with_zero = money_sign(money_sub(literal(Decimal("0.3"), Money), literal(0)))
            positive = await conn.scalar(select(with_zero))
    finally:
        await engine.dispose()
    assert positive == 1
    assert [tuple(r) for r in sums] == [
        (1, Decimal("0.3")),
        (2, Decimal("100000000000000")),
        (3, None),
    ]
    assert [tuple(r) for r in diffs] == [
        (None, None, None),
        (Decimal("0.01"), Decimal("-0.29"), -1),
        (Decimal("0.1"), Decimal("-0.2"), -1),
        (Decimal("0.2"), Decimal("-0.1"), -1),
        (Decimal("99999999999999.99"), Decimal("99999999999999.69"), 1),
    ]


@pytest.mark.parametrize(
    ("stored", "plain"),
    [
        ("100.000000", "100"),
        ("1E+3", "1000"),
        ("1234.560000", "1234.56"),
        ("0.000001", "0.000001"),
        ("0E-6", "0"),
        ("-0.100000", "-0.1"),
        ("99999999999999.000000", "99999999999999"),
        ("12345678901234.999999", "12345678901234.999999"),
    ],
)
def test_money_reads_back_without_trailing_zeros_or_an_exponent(stored: str, plain: str) -> None:
    # asyncpg hands back a Decimal (NUMERIC(20, 6)), SQLite the text: the same amount.
    money = Money()
    from_postgresql = money.process_result_value(Decimal(stored), postgresql.dialect())
    from_sqlite = money.process_result_value(stored, sqlite.dialect())
    assert str(from_postgresql) == str(from_sqlite) == plain
    assert from_postgresql == Decimal(stored)
