"""Security domain: compliance rules and findings, waivers, rectification notices, security records."""
