"""Pure rules of the scorecard: periods, KPI arithmetic, deviations (no I/O)."""
