from services.clients.store.models import Base
from shared.audit import AuditBase
from shared.migrations import run_env
from shared.tables import platform_metadata

run_env([platform_metadata, AuditBase.metadata, Base.metadata])
