"""Opportunity stages (``domain/opportunities.py``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.domain.opportunities import StageError, change_stage

D = Decimal


def test_opportunity_stages() -> None:
    assert change_stage("lead", "proposal", None) is None
    assert change_stage("proposal", "lost", " too expensive ") == "too expensive"
    with pytest.raises(StageError) as missing:
        change_stage("proposal", "lost", " ")
    assert not missing.value.conflict
    with pytest.raises(StageError) as closed:
        change_stage("won", "lead", None)
    assert closed.value.conflict
