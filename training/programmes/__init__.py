"""Programmes, courses, sessions and enrolment, with the scheduling rules every new session passes."""
