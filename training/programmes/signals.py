"""What scheduling announces to the packages above it (attendance copies), without importing them."""

from django.dispatch import Signal

# Sent inside the writing transaction: ``session`` saved with its new values, ``fields`` the
# names that changed, ``previous_year`` the local year it started in before.
session_changed = Signal()
