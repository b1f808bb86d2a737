"""Use cases of the billing service: one function per command, run in one unit of work.

One module per entity: :mod:`.contracts`, :mod:`.invoices`, :mod:`.payments`,
:mod:`.estimates`, :mod:`.opportunities`. A use case takes the unit of work, the caller and a
command (``services.billing.commands``), checks the caller's role (once: here, not at the
route), checks the rules (``domain/``), changes the state, writes its events to the outbox
and returns the entity it changed; the caller (``shared.commands.run_command``) commits once
and the router presents the entity (``api/presenters.py``). Every event carries the client's
team and the whole current state of its entity (``services.billing.snapshots``).
"""
