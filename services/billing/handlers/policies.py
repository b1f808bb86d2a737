"""Payment control following a policy change (``orbit.clients.settings.changed.v1``): when the
dunning schedule or its escalation step in force changed, the open invoices are looked at
again on the next scan, which plans them with the new terms (a step already sent is not sent
again; the latest step due and not sent yet is)."""

from __future__ import annotations

from datetime import timedelta

from services.billing.store import scans
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork

DUNNING_FIELDS = frozenset({"dunning_schedule", "dunning_escalate_from_days"})


async def on_dunning_policy_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    if not DUNNING_FIELDS & set(event.data.get("changed_fields") or ()):
        return
    # the earliest "today" anywhere on earth at the change: every open invoice is due again
    await scans.recheck_open_invoices(
        uow.session, (event.time - timedelta(days=1)).date(), uow.clock.now()
    )
