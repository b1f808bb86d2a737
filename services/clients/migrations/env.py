from services.clients.store.models import Base
from shared.migrations import run_env
from shared.tables import platform_metadata

run_env([platform_metadata, Base.metadata])
