"""Extdesk: the external helpdesk of a hosting-automation platform."""

__version__ = "1.0.0"
IDENTIFICATION = f"Extdesk {__version__}"
