"""Benchmarks at county and province scale: ``python -m bench --scale province|county [--json]``."""
