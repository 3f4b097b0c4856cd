"""Exporters: Prometheus metrics, alert rules, the Grafana dashboard, spreadsheets and reports."""
