"""Benchmarks, run by hand or by `make bench`; the application never imports them.

`python -m bench.run` times the dashboard pages at PMO scale (10,000 projects) against the raw SQL
that computes the same figures (docs/performance.md)."""
