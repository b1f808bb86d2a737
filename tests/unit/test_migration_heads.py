"""Each service's Alembic history has one head, and it includes the platform tables v2
(outbox.traceparent, dead-letter resolution, the inbox retention index). Two branches that
each add a migration on the same parent leave two heads after a merge: re-point the later
one's ``down_revision`` at the other."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from services.embedded import SPECS
from shared.migrations import alembic_config
from shared.settings import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_one_head_that_includes_the_platform_tables_v2(service: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(SPECS[service].migrations, "sqlite://"))
    heads = script.get_heads()
    assert len(heads) == 1, f"{service} has several migration heads: {heads}"
    chain = list(script.walk_revisions())
    assert any(
        "platform_tables_v2" in (r.module.__dict__.get("upgrade").__code__.co_names) for r in chain
    ), f"{service}: no migration runs platform_tables_v2"
