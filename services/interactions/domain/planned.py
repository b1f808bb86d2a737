"""Planned meetings and calls: their kinds and states, and which changes each state allows.

A planned meeting is ``planned`` until it is marked ``held`` (which logs the ``meeting``
interaction) or ``cancelled``; both are final. Rescheduling keeps it ``planned``.
"""

from __future__ import annotations

from typing import Literal, get_args

MeetingKind = Literal["meeting", "call"]
MeetingStatus = Literal["planned", "held", "cancelled"]
MEETING_KINDS: tuple[MeetingKind, ...] = get_args(MeetingKind)
MEETING_STATUSES: tuple[MeetingStatus, ...] = get_args(MeetingStatus)
