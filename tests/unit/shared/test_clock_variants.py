"""The moved clocks of `make test-clock` (deploy/local/clock.py): each variant's instant."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest

from tests.support.servers import LOCAL


def variants() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clock_variants", LOCAL / "clock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 6, 0, 45, tzinfo=UTC),  # a Sunday
        datetime(2026, 12, 12, 23, 31, tzinfo=UTC),  # a Saturday, just after 23:30
        datetime(2027, 3, 28, 1, 31, tzinfo=UTC),  # just after the change in Europe
        datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    ],
)
def test_each_variant_is_ahead_and_on_its_day(now: datetime) -> None:
    clock = variants()
    saturday, dst = clock.target("saturday", now), clock.target("dst", now)
    assert now < saturday <= now + timedelta(days=7)
    assert (saturday.weekday(), saturday.hour, saturday.minute) == (5, 23, 30)
    assert now < dst <= now + timedelta(days=366)
    assert (dst.month, dst.weekday(), dst.hour, dst.minute) == (3, 6, 1, 30)
    assert dst.day + 7 > 31, "not the last Sunday of March"
    assert clock.offset("+400d", now) == 400 * 86400
    assert clock.offset("@2027-03-13 23:30:00", now) == round(
        (datetime(2027, 3, 13, 23, 30, tzinfo=UTC) - now).total_seconds()
    )


def test_an_unknown_variant_is_refused() -> None:
    with pytest.raises(SystemExit):
        variants().target("tomorrow", datetime(2026, 12, 6, tzinfo=UTC))
