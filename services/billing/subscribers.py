"""The events the billing service reacts to: the clients service's staff and clients, kept
as its replicas (``shared.replicas``: authentication, the access scope, the client view its
events carry) and the policies set at run time its rules read (``shared.policy_replica``:
the budget thresholds, the dunning terms: a change of these re-plans the open invoices,
``handlers/policies.py``). Nothing else: billing's own state changes only by its commands and
scans."""

from __future__ import annotations

from collections.abc import Mapping

from services.billing.handlers.policies import on_dunning_policy_changed
from shared.messaging.consumer import EventHandler
from shared.policy_replica import POLICY_HANDLERS, SETTINGS_CHANGED
from shared.replicas import REPLICA_HANDLERS
from shared.subscribers import compose

SUBSCRIBERS: Mapping[str, EventHandler] = compose(
    REPLICA_HANDLERS, POLICY_HANDLERS, {SETTINGS_CHANGED: on_dunning_policy_changed}
)
