"""A real NetBox from PyPI for the NetBox integration tests and the benchmark."""
