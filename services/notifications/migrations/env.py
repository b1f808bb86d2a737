from services.notifications.store.models import Base
from services.notifications.store.scorecard.models import scorecard_metadata
from services.notifications.store.search import search_metadata
from services.notifications.store.timeline import timeline_metadata
from shared.audit import AuditBase
from shared.migrations import run_env
from shared.policy_replica import policy_metadata
from shared.replicas import replica_metadata
from shared.tables import platform_metadata

run_env(
    [
        platform_metadata,
        replica_metadata,
        policy_metadata,
        AuditBase.metadata,
        Base.metadata,
        scorecard_metadata,
        timeline_metadata,
        search_metadata,
    ]
)
