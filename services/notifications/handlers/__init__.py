"""Use cases of the notifications service, one module per concern: the caller's feed, the
rules, preferences, webhooks, and what an event turns into (``dispatch``, run by the
subscribers in the consumer's unit of work)."""
