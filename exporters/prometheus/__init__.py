"""Compliance gauges for Prometheus, computed from the database at scrape time."""
