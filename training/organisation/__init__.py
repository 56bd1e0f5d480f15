"""The core: the organisation tree, members, policy rules, roles and the audit trail.

Every other package depends on this one; it depends on none of them.
"""
