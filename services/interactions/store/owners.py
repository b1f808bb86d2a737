"""The client an interaction or a meeting report belongs to (documents attached to them are
kept by the clients service: ``shared.owner_routes``)."""

from __future__ import annotations

from services.interactions.store.models import Interaction, MeetingReport
from shared.owner_routes import OwnerQuery, client_of
from shared.owners import OwnerType

OWNER_QUERIES: dict[OwnerType, OwnerQuery] = {
    "interaction": client_of(Interaction.client_id, Interaction.id),
    "meeting_report": client_of(MeetingReport.client_id, MeetingReport.interaction_id),
}
