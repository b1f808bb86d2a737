"""An estimate's life: edited while draft, approved before ``valid_until``, rejected while
draft; a draft past ``valid_until`` shows as expired."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.billing.domain.estimates import (
    APPROVED,
    DRAFT,
    EXPIRED,
    INVOICED,
    REJECTED,
    IllegalTransition,
    check_approve,
    check_editable,
    check_reject,
    effective_status,
)

TODAY = date(2026, 5, 4)


def test_a_draft_past_valid_until_shows_expired_others_as_they_are() -> None:
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    assert effective_status(DRAFT, yesterday, TODAY) == EXPIRED
    assert effective_status(DRAFT, TODAY, TODAY) == DRAFT  # valid through its last day
    assert effective_status(DRAFT, tomorrow, TODAY) == DRAFT
    assert effective_status(DRAFT, None, TODAY) == DRAFT
    assert effective_status(APPROVED, yesterday, TODAY) == APPROVED


def test_approve_only_a_draft_in_time() -> None:
    check_approve(DRAFT, TODAY, TODAY)
    with pytest.raises(IllegalTransition, match="expired"):
        check_approve(DRAFT, TODAY - timedelta(days=1), TODAY)
    with pytest.raises(IllegalTransition):
        check_approve(APPROVED, None, TODAY)


@pytest.mark.parametrize("status", [APPROVED, INVOICED, REJECTED])
def test_only_a_draft_is_edited_or_rejected(status: str) -> None:
    check_editable(DRAFT)
    check_reject(DRAFT)
    with pytest.raises(IllegalTransition):
        check_editable(status)
    with pytest.raises(IllegalTransition):
        check_reject(status)
