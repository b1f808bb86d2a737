"""A promised answer (``domain/promises.py``): when one may be given, when it is broken, and
that a broken one stays broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.interactions.domain.promises import PromiseError, check_promise, is_broken

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today


def test_promises() -> None:
    check_promise(NOW + timedelta(minutes=1), NOW)
    with pytest.raises(PromiseError):
        check_promise(NOW, NOW)
    with pytest.raises(PromiseError):
        check_promise(NOW - timedelta(hours=1), NOW)
    promised = NOW + timedelta(hours=4)
    assert not is_broken(None, None, NOW)
    assert not is_broken(promised, None, promised - timedelta(seconds=1))
    assert is_broken(promised, None, promised)
    assert not is_broken(promised, promised, promised + timedelta(days=1))
    assert is_broken(promised, promised + timedelta(seconds=1), promised)


@given(offset=st.integers(-10_000, 10_000), resolved=st.none() | st.integers(-10_000, 10_000))
def test_a_broken_promise_stays_broken(offset: int, resolved: int | None) -> None:
    promised = NOW
    resolved_at = None if resolved is None else NOW + timedelta(minutes=resolved)
    now = NOW + timedelta(minutes=offset)
    if is_broken(promised, resolved_at, now):
        assert is_broken(promised, resolved_at, now + timedelta(minutes=1))
