"""The billing service. ``SERVICE`` is its name: its topic, its database, its runtime."""

SERVICE = "billing"
