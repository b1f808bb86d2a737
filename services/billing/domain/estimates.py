"""An estimate's life: draft -> approved -> invoiced (once: a draft invoice with its lines)."""

from __future__ import annotations

from typing import Literal, get_args

# An estimate's statuses (the API's schemas and query parameter take these).
EstimateStatus = Literal["draft", "approved", "invoiced"]
STATUSES: tuple[EstimateStatus, ...] = get_args(EstimateStatus)
DRAFT, APPROVED, INVOICED = STATUSES
