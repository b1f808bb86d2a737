"""Money: ISO 4217 minor units from Babel's data, half-up rounding (billing's and the
scorecard's), refused amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import (
    MAX_AMOUNT,
    InvalidAmount,
    UnknownCurrency,
    check_amount,
    check_currency,
    format_amount,
    minor_unit,
    round_half_up,
    round_money,
    to_decimal,
)


@pytest.mark.parametrize(
    ("currency", "places"), [("EUR", 2), ("JPY", 0), ("KWD", 3), ("USD", 2), ("BHD", 3), ("CLP", 0)]
)
def test_minor_units_come_from_iso_data(currency: str, places: int) -> None:
    assert minor_unit(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.345", "EUR", "2.35"),
        ("2.344", "EUR", "2.34"),
        ("-2.345", "EUR", "-2.35"),
        ("100.5", "JPY", "101"),
        ("100.49", "JPY", "100"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004", "KWD", "1.000"),
    ],
)
def test_half_up_to_the_minor_unit(amount: str, currency: str, rounded: str) -> None:
    assert str(round_money(Decimal(amount), currency)) == rounded


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [("0.125", "EUR", "0.13"), ("0.135", "EUR", "0.14"), ("2.5", "JPY", "3"), ("7", "EUR", "7.00")],
)
def test_amounts_are_written_with_a_tie_away_from_zero(
    amount: str, currency: str, text: str
) -> None:
    """The one rule of every report (the scorecard rounded ties to even before)."""
    assert format_amount(Decimal(amount), currency) == text


@pytest.mark.parametrize(
    ("value", "places", "rounded"),
    [
        ("1.25", 1, "1.3"),  # to even: 1.2
        ("-1.25", 1, "-1.3"),
        ("6.25", 1, "6.3"),
        ("0.33335", 4, "0.3334"),  # to even: 0.3334 too
        ("0.33345", 4, "0.3335"),  # to even: 0.3334
        ("2.5", 0, "3"),
        ("7", 1, "7.0"),
    ],
)
def test_figures_round_half_up_like_money(value: str, places: int, rounded: str) -> None:
    assert str(round_half_up(Decimal(value), places)) == rounded


@pytest.mark.parametrize("code", ["ZZZ", "eur", "EURO", "", "E1R", "€"])
def test_unknown_currencies_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        check_currency(code)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN", "1e", "abc", 1.5])
def test_not_finite_decimals_are_refused(value: object) -> None:
    with pytest.raises(InvalidAmount):
        to_decimal(value)


def test_amount_checks() -> None:
    assert check_amount(Decimal("10.50"), "EUR") == Decimal("10.50")
    with pytest.raises(InvalidAmount):
        check_amount(Decimal("1.005"), "EUR")  # more decimals than the currency has
    with pytest.raises(InvalidAmount):
        check_amount(Decimal("1.5"), "JPY")
    with pytest.raises(InvalidAmount):
        check_amount(Decimal("-1"), "EUR")
    with pytest.raises(InvalidAmount):
        check_amount(Decimal("0"), "EUR", positive=True)
    with pytest.raises(InvalidAmount):
        check_amount(MAX_AMOUNT + 1, "EUR")


def test_format_has_exactly_the_currency_decimals() -> None:
    assert format_amount(Decimal("1234.5"), "EUR") == "1234.50"
    assert format_amount(Decimal("1000"), "JPY") == "1000"
    assert format_amount(Decimal("1"), "KWD") == "1.000"


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_rounding_is_within_half_a_minor_unit(amount: Decimal, currency: str) -> None:
    rounded = round_money(amount, currency)
    unit = Decimal(1).scaleb(-minor_unit(currency))
    assert abs(rounded - amount) <= unit / 2
    assert round_money(rounded, currency) == rounded
