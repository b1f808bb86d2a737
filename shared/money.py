"""Exact money: ``Decimal`` amounts in an ISO 4217 currency, rounded half-up to the
currency's minor unit; and the one rounding rule of every service: money (billing's
invoices, the scorecard's amounts and workbook) and figures (billing's report shares and
days, the scorecard's KPIs and changes, interactions' statistics) round half-up, away from
zero on a tie (:func:`round_half_up`), never to even. Pure: no I/O (a domain module may
import it).

The minor units come from Babel's CLDR data (``babel.numbers.get_currency_precision``: EUR 2,
JPY 0, KWD 3, ...), the list of known currencies from ``babel.numbers.list_currencies``; no
hand-kept table. Amounts cross the API as decimal strings, never floats.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies

# The largest amount a line, an invoice or a payment may reach: far beyond any real invoice,
# well inside the NUMERIC(20, 6) columns (and the float-free sums of a report).
MAX_AMOUNT = Decimal("1000000000000")  # 10^12
# The most digits (and the furthest exponent) an amount, quantity or rate may be written with.
MAX_DIGITS = 40
_CODE = re.compile(r"[A-Z]{3}")


class MoneyError(ValueError):
    """A rule of money broken by an input: the caller maps it to a 422 naming the field."""


class UnknownCurrency(MoneyError):
    pass


class InvalidAmount(MoneyError):
    pass


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """``code`` if it names an ISO 4217 currency Babel knows (upper-case letters), else
    :class:`UnknownCurrency`."""
    if not isinstance(code, str) or not _CODE.fullmatch(code) or code not in _known():
        raise UnknownCurrency(f"unknown currency {code!r} (an ISO 4217 code such as EUR)")
    return code


@lru_cache(maxsize=512)  # Babel looks it up in its locale data each time (~40 µs)
def minor_unit(currency: str) -> int:
    """Decimal places of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return int(get_currency_precision(check_currency(currency)))


def quantum(currency: str) -> Decimal:
    """The currency's smallest amount (0.01 EUR, 1 JPY, 0.001 KWD)."""
    return _places(minor_unit(currency))


def round_half_up(value: Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimals, half-up (away from zero on a tie: 1.25 -> 1.3,
    -1.25 -> -1.3): how every figure Orbit shows is rounded (a share, an average, a score)."""
    return value.quantize(_places(places), rounding=ROUND_HALF_UP)


@lru_cache(maxsize=32)
def _places(places: int) -> Decimal:
    """The quantum of ``places`` decimals (0.1 for 1), made once: a head's report rounds
    thousands of figures."""
    return Decimal(1).scaleb(-places)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up (away from zero on a tie) to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """A finite ``Decimal`` from a decimal string, an int or a Decimal (never a float: a float
    has already lost the exact value). NaN, Infinity and garbage: :class:`InvalidAmount`."""
    if isinstance(value, bool | float):
        raise InvalidAmount(f"{what} must be a decimal string, not a float")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"{what} is not a decimal number: {value!r}") from exc
    if not number.is_finite():
        raise InvalidAmount(f"{what} must be a finite number, not {value!r}")
    # "1e-999999999" is finite, but written out in full it is a billion digits (memory and
    # time, then a 500): no amount, quantity or rate has that many.
    digits, exponent = len(number.as_tuple().digits), number.as_tuple().exponent
    if digits > MAX_DIGITS or not isinstance(exponent, int) or abs(exponent) > MAX_DIGITS:
        raise InvalidAmount(f"{what} has more than {MAX_DIGITS} digits")
    return number


def check_amount(
    amount: Decimal, currency: str, what: str = "amount", *, positive: bool = False
) -> Decimal:
    """A money amount as given: finite, not negative (or > 0 when ``positive``), within
    :data:`MAX_AMOUNT`, and with no more decimals than the currency has (1.005 EUR is not
    an amount someone can pay)."""
    amount = to_decimal(amount, what)
    if amount < 0 or (positive and amount == 0):
        raise InvalidAmount(f"{what} must be {'greater than' if positive else 'at least'} 0")
    if amount > MAX_AMOUNT:
        raise InvalidAmount(f"{what} exceeds {MAX_AMOUNT}")
    if round_money(amount, currency) != amount:
        raise InvalidAmount(
            f"{what} has more decimals than {currency} has ({minor_unit(currency)})"
        )
    return amount


def format_amount(amount: Decimal, currency: str) -> str:
    """The API's decimal string: exactly the currency's decimals ("1234.50", "1000" for JPY)."""
    if not amount and not amount.is_signed():  # most of a report's cells: made once
        return _zero(currency)
    return format(round_money(amount, currency), "f")


@lru_cache(maxsize=512)
def _zero(currency: str) -> str:
    return format(round_money(Decimal(0), currency), "f")
