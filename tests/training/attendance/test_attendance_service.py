"""The one attendance-writing service: report columns, idempotent upsert, scope, on_commit refresh."""

from decimal import Decimal

import pytest

from tests import factories
from training.attendance import credit
from training.attendance.actions import AttendanceError, Mark, record_attendance
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell
from training.organisation.access import scope_for
from training.organisation.models import PolicyRule

pytestmark = pytest.mark.django_db


def test_writes_report_columns_and_credits_session_hours(district, personas):
    session = district.session_a1
    written = record_attendance(session, [Mark(district.member_a1, "present")], by=personas["secretary_a1"])
    row = Attendance.objects.get(session=session, member=district.member_a1)
    assert written == 1
    assert (row.branch_id, row.category, row.programme_id, row.attended) == (
        district.branch_a1.pk, district.member_a1.category, session.programme_id, True)
    assert row.credited_hours == session.hours == Decimal("2")
    assert row.recorded_by == personas["secretary_a1"]


def test_repeating_the_same_marks_changes_nothing(district, personas):
    marks = [Mark(district.member_a1, "late")]
    assert record_attendance(district.session_a1, marks, by=personas["secretary_a1"]) == 1
    first = Attendance.objects.get(session=district.session_a1, member=district.member_a1)
    assert record_attendance(district.session_a1, marks, by=personas["secretary_a1"]) == 0
    again = Attendance.objects.get(session=district.session_a1, member=district.member_a1)
    assert again.recorded_at == first.recorded_at
    assert Attendance.objects.filter(session=district.session_a1).count() == 1


def test_upsert_updates_an_existing_row(district, personas):
    record_attendance(district.session_a1, [Mark(district.member_a1, "present")], by=personas["secretary_a1"])
    record_attendance(district.session_a1, [Mark(district.member_a1, "absent")], by=personas["secretary_a1"])
    row = Attendance.objects.get(session=district.session_a1, member=district.member_a1)
    assert (row.status, row.attended, row.credited_hours) == ("absent", False, Decimal("0"))


def test_secretary_cannot_write_another_branchs_member_and_nothing_is_written(district, personas):
    marks = [Mark(district.member_a1, "present"), Mark(district.member_b1, "present")]
    with pytest.raises(AttendanceError):
        record_attendance(district.session_a1, marks, by=personas["secretary_a1"])
    assert not Attendance.objects.filter(session=district.session_a1).exists()


def test_unknown_status_and_negative_minutes_are_refused(district, personas):
    with pytest.raises(AttendanceError):
        record_attendance(district.session_a1, [Mark(district.member_a1, "asleep")], by=personas["secretary_a1"])
    with pytest.raises(AttendanceError):
        record_attendance(district.session_a1, [Mark(district.member_a1, "present", minutes=-5)])


def test_viewing_hours_follow_policy_rules(district):
    session = district.district_session
    rules = credit.CreditRules.for_year(credit.session_year(session))
    assert rules.hours(session, "present", "live", rules.min_minutes - 1) == 0
    assert rules.hours(session, "present", "live", rules.min_minutes) == session.hours
    assert rules.hours(session, "present", "replay", 90) == session.hours
    rule = PolicyRule.objects.in_force(credit.session_year(session)).get(key=PolicyRule.Key.REPLAY_EARNS_HOURS)
    rule.value = 0
    rule.save(update_fields=["value"])  # saving a rule forgets the cached crediting rules
    rules = credit.CreditRules.for_year(credit.session_year(session))
    assert rules.hours(session, "present", "replay", 90) == 0
    rule.value = 1
    rule.save(update_fields=["value"])


def test_a_write_leaves_its_roll_up_request_in_its_own_transaction(district, personas,
                                                                  django_capture_on_commit_callbacks, monkeypatch):
    from training.coverage.models import RollupRequest
    from training.coverage.tasks import drain_rollup_requests

    asked = []
    monkeypatch.setattr(drain_rollup_requests, "apply_async", lambda *args, **kwargs: asked.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        record_attendance(district.session_a1, [Mark(district.member_a1, "present")], by=personas["secretary_a1"])
        record_attendance(district.session_a1, [Mark(district.member_a1, "late")], by=personas["secretary_a1"])
        assert asked == []  # nothing asked before the commit
        year = credit.session_year(district.session_a1)
        assert set(RollupRequest.objects.values_list("year", "branch_id")) == {(year, district.branch_a1.pk)}
    assert len(asked) == 1  # a burst of writes: one drain asked for


def test_committed_write_refreshes_the_rollup(district, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_attendance(district.session_a1, [Mark(district.member_a1, "present")], by=personas["secretary_a1"])
    year = credit.session_year(district.session_a1)
    cell = CoverageCell.objects.get(year=year, organisation=district.branch_a1, category="", programme_key=0,
                                    channel="", month=0)
    assert cell.members_reached == 1


def test_saving_many_marks_costs_a_constant_number_of_queries(district, personas, django_assert_max_num_queries):
    members = [factories.member(district.branch_a1) for _ in range(120)]
    marks = [Mark(member, "present") for member in members]
    scope_for(personas["secretary_a1"])  # a view has loaded the user's scope already
    # policy rules, savepoint, existing rows, one INSERT, the roll-up request, the audit entry, release:
    # whatever the number of marks
    with django_assert_max_num_queries(7):
        record_attendance(district.session_a1, marks, by=personas["secretary_a1"])
    assert Attendance.objects.filter(session=district.session_a1).count() == 120


@pytest.mark.django_db(transaction=True)
def test_a_lone_write_commits_with_its_roll_up_request_and_stores_what_a_batch_stores(district):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    factories.ensure_policy_rules()
    session = district.district_session  # the district's session: members of both branches may attend
    rules = credit.CreditRules.for_year(credit.session_year(session))
    lone = Mark(district.member_a2, "late")
    with CaptureQueriesContext(connection) as queries:
        record_attendance(session, [lone], channel="qr", rules=rules, known_changed=True, admission_checked=True)
    # One transaction: the row and its roll-up request (what follows is the eager drain the commit asked for)
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements[:4] == ["BEGIN", "INSERT", "INSERT", "COMMIT"] or statements[:3] == ["INSERT", "INSERT", "COMMIT"]
    assert "SAVEPOINT" not in statements[:4]
    with transaction.atomic():  # the same mark through bulk_create, for another member
        record_attendance(session, [Mark(district.member_b1, "late")], channel="qr", rules=rules, known_changed=True)

    def stored(member):
        row = Attendance.objects.filter(session=session, member=member).values().get()
        return {key: value for key, value in row.items() if key not in {"id", "member_id", "recorded_at", "branch_id"}}

    assert stored(district.member_a2) == stored(district.member_b1)
    assert Attendance.objects.get(session=session, member=district.member_a2).branch_id == district.branch_a2.pk
    # A second lone write to the same pair updates the row in place.
    record_attendance(session, [Mark(district.member_a2, "absent")], channel="qr", rules=rules, known_changed=True)
    row = Attendance.objects.get(session=session, member=district.member_a2)
    assert (row.status, row.attended, row.credited_hours) == ("absent", False, Decimal("0"))
    assert Attendance.objects.filter(session=session).count() == 3  # member_a1 and member_b1 from the fixture
