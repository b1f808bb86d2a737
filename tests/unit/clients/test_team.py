"""The staff rules of domain/team.py: roles, who may manage clients or lead, and what a change
of a member of staff must keep (hand clients over first, no head without reports' new head)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.clients.domain.team import (
    HEAD_ROLE,
    MANAGING_ROLES,
    can_be_head,
    can_manage_clients,
    changed_fields,
    head_to_check,
    leaving_head_role,
    portfolio_problem,
    responsible_head,
    touches_reporting_lines,
)
from shared.auth import Role
from shared.values import STAFF_ROLES

STAFF = uuid.UUID(int=1)
HEAD = uuid.UUID(int=2)
OTHER_HEAD = uuid.UUID(int=3)


def test_staff_roles_are_the_roles_tokens_carry() -> None:
    assert STAFF_ROLES == ("manager", "head", "admin", "service", "integration")
    assert tuple(r.value for r in Role) == STAFF_ROLES
    assert HEAD_ROLE in MANAGING_ROLES and set(MANAGING_ROLES) <= set(STAFF_ROLES)


@pytest.mark.parametrize(
    ("role", "active", "manages"),
    [
        ("manager", True, True),
        ("head", True, True),
        ("admin", True, False),
        ("service", True, False),
        ("manager", False, False),
        ("head", False, False),
    ],
)
def test_only_active_managers_and_heads_manage_clients(
    role: str, active: bool, manages: bool
) -> None:
    assert can_manage_clients(role, active) is manages


def test_only_an_active_head_can_be_named_head() -> None:
    assert can_be_head("head", True)
    assert not can_be_head("head", False)
    assert not can_be_head("manager", True)


def test_reporting_lines_change_with_head_role_or_activity() -> None:
    assert touches_reporting_lines({"head_id"})
    assert touches_reporting_lines(["name", "role"])
    assert touches_reporting_lines({"active": False})
    assert not touches_reporting_lines({"name", "email", "department", "timezone", "locale"})


def test_the_new_head_is_checked_when_the_line_or_activity_changes() -> None:
    # A new head: check it.
    assert head_to_check(None, True, {"head_id": HEAD}, ["head_id"]) == HEAD
    # Reactivated under their old head: the old head must still be a usable one.
    assert head_to_check(HEAD, False, {"active": True}, ["active"]) == HEAD
    # Deactivated, or left without a head: nothing to check.
    assert head_to_check(HEAD, True, {"active": False}, ["active"]) is None
    assert head_to_check(HEAD, True, {"head_id": None}, ["head_id"]) is None
    # A role change alone leaves the reporting line as it is.
    assert head_to_check(HEAD, True, {"role": "head"}, ["role"]) is None


def test_a_head_who_stops_leading_is_named_by_the_change() -> None:
    assert leaving_head_role("head", {"active": False}, ["active"]) == "deactivating them"
    assert leaving_head_role("head", {"role": "manager"}, ["role"]) == (
        "changing the role to manager"
    )
    # Deactivation is named first when both change.
    both: dict[str, Any] = {"active": False, "role": "admin"}
    assert leaving_head_role("head", both, ["active", "role"]) == "deactivating them"
    assert leaving_head_role("head", {"head_id": OTHER_HEAD}, ["head_id"]) is None
    assert leaving_head_role("head", {"active": True}, ["active"]) is None
    assert leaving_head_role("manager", {"active": False}, ["active"]) is None


def test_a_manager_who_still_has_clients_cannot_be_deactivated() -> None:
    problem = portfolio_problem("Ann", STAFF, 3, {"active": False}, ["active"])
    assert problem is not None
    assert "Ann still manages 3 client(s)" in problem
    assert f"POST /api/v1/staff/{STAFF}/handover" in problem
    assert portfolio_problem("Ann", STAFF, 0, {"active": False}, ["active"]) is None


def test_a_manager_with_clients_keeps_a_managing_role() -> None:
    problem = portfolio_problem("Ann", STAFF, 1, {"role": "admin"}, ["role"])
    assert problem is not None and "changing the role to admin" in problem
    assert portfolio_problem("Ann", STAFF, 1, {"role": "head"}, ["role"]) is None
    assert portfolio_problem("Ann", STAFF, 1, {"name": "Anna"}, ["name"]) is None
    # Given but unchanged: no problem.
    assert portfolio_problem("Ann", STAFF, 1, {"active": False}, []) is None


def test_changed_fields_are_those_whose_value_differs_sorted() -> None:
    current = {"name": "Ann", "role": "manager", "active": True}
    assert changed_fields(current, {"role": "manager", "name": "Anna", "active": False}) == [
        "active",
        "name",
    ]
    assert changed_fields(current, {"name": "Ann"}) == []


def test_the_responsible_head() -> None:
    assert responsible_head(None, None, None) is None
    assert responsible_head(STAFF, "manager", HEAD) == HEAD
    assert responsible_head(HEAD, "head", None) == HEAD
    assert responsible_head(STAFF, "manager", None) is None
