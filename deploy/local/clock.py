"""The clock offset (seconds) of a `make test-clock` variant, from the real time now.

    python3 deploy/local/clock.py VARIANT

VARIANT: ``+400d`` (any ``+N`` / ``-N`` with an s, m, h or d suffix), ``saturday`` (the next
Saturday 23:30 UTC: already Sunday in Europe/Berlin and Asia/Tokyo), ``dst`` (the next last
Sunday of March, 01:30 UTC: the night the clocks change in Europe) or ``@YYYY-MM-DD HH:MM:SS``
(UTC). Prints ``+SECONDS``: one offset every process of the run shares (libfaketime's
``@`` start would restart the clock at each process's own start).
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def target(variant: str, now: datetime) -> datetime:
    if variant == "saturday":
        day = now.date() + timedelta(days=(5 - now.weekday()) % 7)
        at = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)
        return at if at > now else at + timedelta(days=7)
    if variant == "dst":
        year = now.year
        while True:
            last = datetime(year, 3, 31, 1, 30, tzinfo=UTC)
            at = last - timedelta(days=(last.weekday() + 1) % 7)
            if at > now:
                return at
            year += 1
    if variant.startswith("@"):
        return datetime.fromisoformat(variant[1:].strip()).replace(tzinfo=UTC)
    match = re.fullmatch(r"([+-])(\d+)([smhd]?)", variant)
    if match is None:
        raise SystemExit(f"clock variant {variant!r}: +400d, saturday, dst or @YYYY-MM-DD HH:MM:SS")
    sign = 1 if match[1] == "+" else -1
    return now + timedelta(seconds=sign * int(match[2]) * UNITS[match[3] or "s"])


def offset(variant: str, now: datetime) -> int:
    return round((target(variant, now) - now).total_seconds())


if __name__ == "__main__":
    print(f"{offset(sys.argv[1], datetime.now(UTC)):+d}")
