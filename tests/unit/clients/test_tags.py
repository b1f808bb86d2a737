"""Tags: stripped, lower-case, each once in the given order."""

from __future__ import annotations

import pytest

from services.clients.domain.tags import InvalidTag, normalize_tag, normalize_tags


def test_tags_are_normalised_once_in_order() -> None:
    assert normalize_tags([" VIP ", "Gold", "vip", "\tgold", "EU"]) == ["vip", "gold", "eu"]
    assert normalize_tags([]) == []
    assert normalize_tag("Straße") == "straße"


@pytest.mark.parametrize("raw", ["", "   ", "x" * 51, "İ" * 50])
def test_empty_or_long_tags_are_refused(raw: str) -> None:
    with pytest.raises(InvalidTag):
        normalize_tag(raw)
