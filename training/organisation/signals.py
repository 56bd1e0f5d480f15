"""What the core announces to the packages above it, without importing them.

Sent inside the writing transaction; receivers do their own writes in it and defer side
effects (tasks, mail) to after the commit.
"""

from django.dispatch import Signal

# ``members``: the changed members (saved, with their new values); ``previous_branch_ids``: the
# branches they were in before; ``fields``: the names of the fields that changed.
members_changed = Signal()

# ``organisation`` moved below a new parent (its subtree's paths rewritten); the figures above
# it, old parents and new, must be recomputed.
organisation_moved = Signal()
