"""Who may do what: the one table of roles and their capabilities.

Every view declares the capability it needs (``access.requires``), every ``visible_to``
reads through the capability of its model, and the README's table is generated from here
(``manage.py policy_table``). A role's capability reaches over the subtree of the grant's
organisation; a superuser holds every capability over the whole district.
"""

from django.utils.translation import gettext_lazy as _

ORGANISER = "organiser"
SECRETARY = "secretary"
LEADER = "leader"
LECTURER = "lecturer"
REQUESTER = "requester"
AUDITOR = "auditor"
SUPERUSER = "superuser"

# Capability → what it allows, as shown in the README and the admin.
CAPABILITIES: dict[str, str] = {
    "members.view": _("Read the member register, member pages and not-reached lists"),
    "members.unmask_phone": _("See full phone numbers (only on grants marked for it)"),
    "members.import": _("Import the member register"),
    "members.manage": _("Transfer members and change their category"),
    "programmes.view": _("Read programmes and courses, and how precisely they reach their categories"),
    "sessions.view": _("Read sessions, the calendar and enrolments"),
    "sessions.schedule": _("Build programmes and courses, schedule, move and cancel sessions, set quotas"),
    "enrolments.manage": _("Enrol and withdraw members"),
    "attendance.record": _("Mark rosters, print sign-in sheets, run QR check-in, make-up, home study, branch meetings"),
    "attendance.view": _("Read ledgers and organisational-life compliance"),
    "imports.run": _("Import viewing logs"),
    "coverage.view": _("Read the coverage dashboard"),
    "coverage.export": _("Download coverage figures and the annual report"),
    "coverage.recompute": _("Start a recomputation of the coverage figures"),
    "venues.view": _("Read the venue directory and study routes"),
    "venues.manage": _("Add, edit and retire venues and study routes"),
    "calendars.subscribe": _("Subscribe to calendar feeds"),
    "lectures.view": _("Read lectures, lecture requests and volunteer services"),
    "lectures.request": _("Order and cancel lectures"),
    "lectures.manage": _("Run the lecture office: dispatch requests; edit and delete lectures, their listeners and volunteer services"),
    "lectures.answer": _("Accept or decline a dispatched lecture request"),
    "lectures.record": _("Record a lecture given and add its photos (a lecturer: their own lectures)"),
    "lectures.report": _("Read and download the outreach report"),
    "lecturers.view": _("Read the lecturer pool"),
    "lecturers.manage": _("Add and edit lecturers"),
    "audit.view": _("Read and download the audit trail"),
    "admin.site": _("Use the administration site"),
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    ORGANISER: frozenset({
        "members.view", "members.unmask_phone", "members.import", "members.manage",
        "programmes.view", "sessions.view", "sessions.schedule", "enrolments.manage",
        "attendance.record", "attendance.view", "imports.run",
        "coverage.view", "coverage.export", "coverage.recompute",
        "venues.view", "venues.manage", "calendars.subscribe",
        "lectures.view", "lectures.request", "lectures.manage", "lectures.record", "lectures.report",
        "lecturers.view", "lecturers.manage",
    }),
    SECRETARY: frozenset({
        "members.view", "members.unmask_phone",
        "sessions.view", "enrolments.manage",
        "attendance.record", "attendance.view", "imports.run",
        "venues.view", "calendars.subscribe",
    }),
    LEADER: frozenset({
        "members.view", "programmes.view", "sessions.view", "attendance.view",
        "coverage.view", "coverage.export", "venues.view", "calendars.subscribe",
        "lectures.view", "lectures.report", "lecturers.view",
    }),
    # The two outreach roles see their own lecture work and nothing of the register.
    LECTURER: frozenset({
        "venues.view", "lectures.view", "lectures.answer", "lectures.record", "lectures.report", "lecturers.view",
    }),
    REQUESTER: frozenset({
        "venues.view", "lectures.view", "lectures.request", "lectures.report", "lecturers.view",
    }),
    # 三员分立: the auditor reads the trail and nothing else.
    AUDITOR: frozenset({"audit.view"}),
}

# Views anyone may open (login, health, a member's own QR check-in, lecture feedback, calendar
# feeds by their secret token) and views any signed-in user may open (the start page).
PUBLIC = "public"
SIGNED_IN = "signed_in"

_undeclared = {cap for caps in ROLE_CAPABILITIES.values() for cap in caps} - CAPABILITIES.keys()
assert not _undeclared, f"capabilities missing from CAPABILITIES: {_undeclared}"


def role_has(role: str, capability: str) -> bool:
    if role == SUPERUSER:
        return capability in CAPABILITIES
    return capability in ROLE_CAPABILITIES.get(role, ())
