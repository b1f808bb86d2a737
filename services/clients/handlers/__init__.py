"""Use cases of the clients service: one function per command, run in one unit of work.

One module per entity: :mod:`.staff`, :mod:`.clients`, :mod:`.contacts`. A use case takes the
unit of work, the caller and a command (``services.clients.commands``), checks the rules
(``domain/``), changes the state, writes its events to the outbox and returns the entity it
changed; the caller (``shared.commands.run_command`` or ``execute``) commits once and the
router presents the entity (``api/presenters.py``). Every event carries the whole current
state of its entity (``services.clients.snapshots``).
"""
