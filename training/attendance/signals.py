"""What attendance announces to the packages above it (the roll-up listens), without importing them."""

from django.dispatch import Signal

# Sent inside the writing transaction with ``branch_ids`` and ``years`` whose figures changed;
# receivers defer their work to after the commit.
attendance_changed = Signal()
