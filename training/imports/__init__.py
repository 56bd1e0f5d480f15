"""Imports of member registers and viewing logs: validated first, committed in one transaction."""
