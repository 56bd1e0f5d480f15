"""The training app's models, defined by sub-domain in its packages.

Django looks for an app's models here; product code imports each model from its package.
"""

from training.attendance.models import Attendance, MakeupAssignment
from training.coverage.models import CoverageCell, CoverageRun, RollupRequest
from training.imports.models import ImportJob
from training.organisation.models import (
    AuditEntry,
    Grant,
    Member,
    MemberTransfer,
    Organisation,
    PolicyRule,
)
from training.programmes.models import (
    CalendarFeed,
    Course,
    Enrolment,
    Programme,
    Session,
    SessionQuota,
    SessionSeries,
)

__all__ = [
    "Attendance", "AuditEntry", "CalendarFeed", "Course", "CoverageCell", "CoverageRun", "RollupRequest", "Enrolment", "ImportJob",
    "MakeupAssignment", "Member", "MemberTransfer", "Organisation", "PolicyRule", "Programme", "Session",
    "SessionQuota", "SessionSeries", "Grant",
]
