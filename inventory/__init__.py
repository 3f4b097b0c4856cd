"""Inventory: units, systems, hosts, networks, products, projects, information resources."""
