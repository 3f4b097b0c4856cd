"""Security domain: 等保, 密评, risk, emergency plans, incidents, findings and host verification."""
