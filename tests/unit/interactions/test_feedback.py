"""Feedback scores (``domain/feedback.py``): their ranges, which are low, NPS groups."""

from __future__ import annotations

from datetime import UTC, datetime

from services.interactions.domain import feedback

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today


def test_feedback_scores() -> None:
    assert feedback.check_score("nps", 0) is None
    assert feedback.check_score("nps", 10) is None
    assert feedback.check_score("nps", 11)
    assert feedback.check_score("csat", 0)
    assert feedback.check_score("csat", 5) is None
    assert [feedback.is_low("nps", s) for s in (6, 7)] == [True, False]
    assert [feedback.is_low("csat", s) for s in (2, 3)] == [True, False]
    assert [feedback.nps_group(s) for s in (6, 7, 8, 9)] == [
        "detractor",
        "passive",
        "passive",
        "promoter",
    ]
