"""The events the billing service reacts to: the clients service's staff and clients, kept
as its replicas (``shared.replicas``: authentication, the access scope, the client view its
events carry). Nothing else: billing's own state changes only by its commands and scans."""

from __future__ import annotations

from collections.abc import Mapping

from shared.messaging.consumer import EventHandler
from shared.replicas import REPLICA_HANDLERS

SUBSCRIBERS: Mapping[str, EventHandler] = REPLICA_HANDLERS
