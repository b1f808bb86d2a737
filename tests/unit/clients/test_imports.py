"""The pure rules of imports: the header through the mapping, the rows' cells, the keys."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.clients.domain.imports import (
    BadFile,
    RowError,
    billing_rows,
    body_of,
    cell_text,
    column_of,
    duplicate_keys,
    map_header,
    missing_keys,
    parse_bool,
    progress,
    rows_of,
    split_list,
)

CLIENTS = ["external_id", "name", "tier", "country", "timezone", "account_manager_email"]


def test_the_header_maps_to_the_kind_s_columns() -> None:
    assert map_header("clients", CLIENTS) == CLIENTS
    mapped = map_header(
        "clients",
        ["ID", " Company ", "Notes"],
        {"ID": "external_id", "Company": "name", "Notes": None},
    )
    assert mapped == ["external_id", "name", None]


@pytest.mark.parametrize(
    ("kind", "header", "mapping", "field", "says"),
    [
        ("payments", CLIENTS, None, "kind", "unknown kind"),
        ("clients", [*CLIENTS, "colour"], None, "file", "unknown column 'colour'"),
        ("clients", [*CLIENTS, "name"], None, "file", "appears twice"),
        ("clients", ["name"], None, "file", "missing column(s) external_id"),
        ("contacts", ["external_id", "name"], None, "file", "client_external_id"),
        ("clients", CLIENTS, {"x": "colour"}, "mapping", "not a column of clients"),
    ],
)
def test_a_header_that_cannot_be_imported(
    kind: str, header: list[str], mapping: dict[str, str | None] | None, field: str, says: str
) -> None:
    with pytest.raises(BadFile) as caught:
        map_header(kind, header, mapping)
    assert caught.value.field == field and says in str(caught.value)


def test_rows_keep_their_numbers_and_leave_empty_cells_out() -> None:
    rows = rows_of(
        ["external_id", None, "name"],
        [["a-1", "skipped", " Acme "], ["", "", ""], ["a-2", "", "Beta"], [None, None], []],
    )
    assert rows == [
        {"external_id": "a-1", "name": "Acme"},
        {},
        {"external_id": "a-2", "name": "Beta"},
    ]


def test_spreadsheet_cells_as_text() -> None:
    assert cell_text(42.0) == "42" and cell_text(4.5) == "4.5" and cell_text(True) == "true"
    assert cell_text(datetime(1980, 5, 17)) == "1980-05-17"
    assert cell_text(date(1980, 5, 17)) == "1980-05-17" and cell_text(None) == ""


def test_lists_and_yes_no_cells() -> None:
    assert split_list("vip; renewal;") == ["vip", "renewal"]
    assert split_list("decision_maker, billing") == ["decision_maker", "billing"]
    assert parse_bool("Yes") is True and parse_bool("0") is False
    with pytest.raises(ValueError):
        parse_bool("maybe")


def test_a_row_as_the_command_s_body_and_its_references() -> None:
    body, references, errors = body_of(
        {
            "external_id": "a-1",
            "tags": "a;b",
            "greetings": "perhaps",
            "account_manager_email": "m@x",
        }
    )
    assert body == {"external_id": "a-1", "tags": ["a", "b"]}
    assert references == {"account_manager_email": "m@x"}
    assert errors == [RowError(0, "greetings", "not a yes/no value (true, false, yes, no, 1, 0)")]


def test_an_error_of_a_reference_names_its_column() -> None:
    row = {"account_manager_email": "m@x"}
    assert column_of(["body", "account_manager_id"], row) == "account_manager_email"
    assert column_of(["account_manager_id"], {}) == "account_manager_id"
    assert column_of(("tags", 0), row) == "tags" and column_of([], row) is None


def test_repeated_and_missing_keys() -> None:
    rows = [{"external_id": "a"}, {"external_id": "b"}, {"external_id": "a"}, {}]
    assert duplicate_keys(rows) == [RowError(3, "external_id", "repeats the external_id of row 1")]
    assert missing_keys("contacts", 7, {"external_id": "k"}) == [
        RowError(7, "client_external_id", "required")
    ]


def test_progress() -> None:
    assert progress(0, 0) == 1.0 and progress(1, 3) == 0.3333 and progress(5, 3) == 1.0


def test_billing_rows_carry_their_client_and_the_rows_that_cannot_go_are_errors() -> None:
    acme = "7f0c2a4e-0000-4000-8000-000000000001"
    rows = [
        {"external_id": "k-1", "client_external_id": "acme", "number": "C-1"},
        {"external_id": "k-2", "client_external_id": "nobody", "number": "C-2"},
        {},
        {"client_external_id": "acme"},
        {"external_id": "k-1", "client_external_id": "acme"},
    ]
    sent, errors = billing_rows("contracts", rows, {"acme": acme})
    assert sent == [{"row": 1, "client_id": acme, "cells": {"external_id": "k-1", "number": "C-1"}}]
    assert sorted((e.row, e.column) for e in errors) == [
        (2, "client_external_id"),
        (4, "external_id"),
        (5, "external_id"),
    ]


def test_the_billing_kinds_need_their_columns() -> None:
    with pytest.raises(BadFile, match="issue_date"):
        map_header(
            "invoices", ["external_id", "client_external_id", "number", "currency", "amount"]
        )
    assert (
        map_header(
            "contracts",
            ["external_id", "client_external_id", "number", "title", "starts_on", "ends_on"],
        )[2]
        == "number"
    )
