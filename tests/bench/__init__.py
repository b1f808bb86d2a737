"""Benchmarks (``make bench``): not tests and not product code. ``python -m tests.bench`` runs
every section and appends one report to docs/benchmarks.md."""
