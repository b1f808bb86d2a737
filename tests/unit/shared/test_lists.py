"""A list's rows as a file (``shared.lists``) and the indexes of its sorts
(``shared.pagination.sort_indexes``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.exports import Amount
from shared.lists import _flat
from shared.pagination import SortKey, Sorts, sort_indexes


class Money(BaseModel):
    amount: str
    currency: str


class Attempt(BaseModel):
    at: str


class Row(BaseModel):
    id: uuid.UUID
    tags: list[str]
    contact_ids: list[uuid.UUID]
    history: list[Attempt]
    value: Money
    extra: dict[str, str]


def test_a_row_holds_scalars_plain_lists_as_one_text_and_money_as_amounts() -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    row = _flat(
        Row(
            id=one,
            tags=["vip", "gold"],
            contact_ids=[one, two],
            history=[Attempt(at="x")],
            value=Money(amount="12.50", currency="EUR"),
            extra={"a": "b"},
        ),
        frozenset(),
    )
    assert row["id"] == one and row["tags"] == "vip, gold"
    assert row["contact_ids"] == f"{one}, {two}"
    assert "history" not in row and "extra" not in row  # nested records are left out
    assert row["value_amount"] == Amount(Decimal("12.50"), 2) and row["value_currency"] == "EUR"


class Base(DeclarativeBase):
    metadata = MetaData()


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))


def test_each_sort_has_its_index_unless_the_table_had_one() -> None:
    sorts = Sorts(
        Thing.id,
        "kind",
        indexed=("kind",),
        kind=SortKey(Thing.kind),
        name=SortKey(Thing.name, "text"),
    )
    (made,) = sort_indexes(sorts)
    assert made.name == "ix_things_sort_name" and made.table is Thing.__table__
    assert [str(e) for e in made.expressions] == ["lower(things.name)", "things.id"]
