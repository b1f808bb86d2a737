"""shared.audit's pure parts: what differs between two states, and a state's values as the
trail keeps them."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from shared.audit import diff, state


def test_diff_lists_the_fields_that_changed_only() -> None:
    before = {"title": "a", "status": "open", "total": Decimal("240.00")}
    after = {"title": "b", "status": "open", "total": Decimal(240)}
    assert diff(before, after) == {"title": ("a", "b")}
    assert diff({}, {"notes": None}) == {}
    assert diff(before, {}, ["status"]) == {"status": ("open", None)}


def test_state_copies_and_writes_decimals_as_stored() -> None:
    lines = [{"quantity": "2"}]
    entity = SimpleNamespace(total=Decimal("240.00"), paid=Decimal("0.000000"), lines=lines)
    taken = state(entity, ["total", "paid", "lines"])
    lines[0]["quantity"] = "1"
    assert taken == {"total": Decimal(240), "paid": Decimal(0), "lines": [{"quantity": "2"}]}
    assert (str(taken["total"]), str(taken["paid"])) == ("240", "0")
    assert str(state(SimpleNamespace(x=Decimal("1E+3")), ["x"])["x"]) == "1000"
