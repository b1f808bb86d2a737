"""Field types that request bodies of every service share: a person's or thing's name, an
IANA timezone, a country code, a BCP 47 locale. Each checks and normalises its value; a bad
one is a 422 naming the field."""

from __future__ import annotations

import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator, StringConstraints

from shared.calendar import CalendarError, alpha_2
from shared.calendar import check_timezone as calendar_timezone

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def check_timezone(value: str) -> str:
    """An IANA timezone name (``shared.calendar.check_timezone``, as calendars check it)."""
    try:
        return calendar_timezone(value)
    except CalendarError as exc:
        raise ValueError(exc.msg) from exc


def check_country(value: str) -> str:
    """Two ASCII letters naming a country, upper-cased (not "ß", which upper-cases to "SS", nor a
    dotless i, U+0131, which upper-cases to "I")."""
    code = alpha_2(value.strip())
    if code is None or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {value!r}")
    return code


# A BCP 47 language tag: a language, then subtags ("de", "de-DE", "zh-Hant-TW", "es-419"),
# extensions ("de-DE-u-co-phonebk") and private use ("de-x-orbit"). "" is stored as none.
_LOCALE = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*"
    r"(?:-[A-WYZa-wyz0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
)


def check_locale(value: str) -> str:
    if value and not _LOCALE.fullmatch(value):
        raise ValueError('not a BCP 47 language tag (e.g. "de", "de-DE", "zh-Hant-TW")')
    return value


Timezone = Annotated[str, AfterValidator(check_timezone)]
Locale = Annotated[str, StringConstraints(max_length=35), AfterValidator(check_locale)]
Country = Annotated[str, AfterValidator(check_country)]
