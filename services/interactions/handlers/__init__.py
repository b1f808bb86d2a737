"""Use cases of the interactions service, one module per entity: each ``async def verb(uow,
caller, ..., command) -> entity`` checks the rules, changes the state and writes the events
to the outbox; the caller (``shared.idempotency.run_command``) commits once. They never
import from ``api/``: the routers present the entities they return."""
