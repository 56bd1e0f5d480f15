"""Attendance: the one write path (roster, QR, make-up, 送学上门, branch life) and the ledger."""
