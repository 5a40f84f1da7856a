"""Benchmarks of the SOAP endpoint and helpdesk pages; run ``python -m benchmarks``."""
