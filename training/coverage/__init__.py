"""Coverage roll-ups from raw attendance, the dashboard, exports and the annual summary."""
