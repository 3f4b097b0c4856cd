"""Exporters: spreadsheets, Prometheus collectors, reports."""
