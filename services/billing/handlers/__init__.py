"""Use cases of the billing service, one module per entity: ``async def verb(uow, caller,
..., command) -> entity``. They check the rules (``domain/``), change the state, write the
events to the outbox; the caller (``shared.idempotency.run_command``) commits once. They
never import from ``api/``: the routers present the entities they return."""
