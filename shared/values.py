"""Closed value sets that more than one service names, spelled once.

The clients service owns a client's status; interactions (the cadence report) and
notifications read it from the clients' events and their replicas, and answer it again in
their own responses. Pure: no I/O (a domain module may import it)."""

from __future__ import annotations

from typing import Literal

# A client's statuses (the lifecycle is ``services/clients/domain/status.py``).
ClientStatus = Literal["prospect", "active", "paused", "churned"]
