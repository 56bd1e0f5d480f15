"""The roll-up follows attendance through an outbox: requests are rows written with the attendance,
drained by the worker; Redis and the broker only make it sooner."""

import pytest
from django.core.cache import cache
from django.db import transaction

from tests import factories
from training.attendance.actions import Mark, record_attendance
from training.coverage.models import CoverageCell, RollupRequest
from training.coverage.receivers import schedule_refresh
from training.coverage.rollup import CLAIM_EXPIRES, drain_requests
from training.coverage.tasks import DRAIN_ASKED_KEY, drain_rollup_requests
from training.organisation.models import Organisation

pytestmark = pytest.mark.django_db
YEAR = 2025


def asked_drains(monkeypatch) -> list:
    asked = []
    monkeypatch.setattr(drain_rollup_requests, "apply_async", lambda *args, **kwargs: asked.append(kwargs))
    return asked


def reached(branch, year) -> int:
    cell = CoverageCell.objects.filter(year=year, organisation=branch, category="", programme_key=0, channel="",
                                       month=0).first()
    return cell.members_reached if cell else 0


def test_a_burst_of_writes_asks_for_one_drain_and_the_drain_covers_every_branch(
        district, django_capture_on_commit_callbacks, monkeypatch):
    asked = asked_drains(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            schedule_refresh([district.branch_a1.pk], [YEAR])
        schedule_refresh([district.branch_b1.pk], [YEAR])
    with django_capture_on_commit_callbacks(execute=True):
        schedule_refresh([district.branch_a2.pk], [YEAR])  # within the debounce: relies on the first ask
    assert len(asked) == 1 and asked[0]["countdown"] > 0 and asked[0]["retry"] is False
    assert RollupRequest.objects.count() == 22
    drain_requests()
    assert not RollupRequest.objects.exists()


def test_a_write_that_rolls_back_leaves_no_request_and_asks_nothing(district, django_capture_on_commit_callbacks,
                                                                   monkeypatch):
    asked = asked_drains(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            schedule_refresh([district.branch_a1.pk], [YEAR])
            raise RuntimeError("a later batch of the import failed")
    assert asked == [] and not RollupRequest.objects.exists() and cache.get(DRAIN_ASKED_KEY) is None


def test_with_the_broker_away_the_write_succeeds_and_the_request_waits_for_the_catch_up(
        district, personas, django_capture_on_commit_callbacks, monkeypatch):
    def broker_away(*args, **kwargs):
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    monkeypatch.setattr(drain_rollup_requests, "apply_async", broker_away)
    session, member = district.session_a1, district.member_a1
    year = session.starts_at.year
    with django_capture_on_commit_callbacks(execute=True):
        written = record_attendance(session, [Mark(member, "present")], by=personas["secretary_a1"])
    assert written == 1 and RollupRequest.objects.filter(branch_id=member.branch_id).exists()
    assert cache.get(DRAIN_ASKED_KEY) is None  # the next write asks again
    assert reached(district.branch_a1, year) == 0
    drain_rollup_requests.run()  # beat's periodic drain, once the worker runs
    assert reached(district.branch_a1, year) == 1 and not RollupRequest.objects.exists()


def test_a_write_during_a_drain_is_not_lost(district, personas, monkeypatch):
    """The drain deletes only the rows it claimed: a request written after the claim stays."""
    from training.coverage import rollup

    session = district.session_a1
    year = session.starts_at.year
    schedule_refresh([district.branch_a1.pk], [year])
    real_refresh = rollup.refresh_coverage

    def refresh_while_a_member_checks_in(year, branch_ids):
        cells = real_refresh(year, branch_ids=branch_ids)
        if not Mark_written:
            Mark_written.append(True)
            factories.attendance(session, district.member_a1)
            schedule_refresh([district.branch_a1.pk], [year])
        return cells

    Mark_written: list = []
    monkeypatch.setattr(rollup, "refresh_coverage", lambda year, branch_ids: refresh_while_a_member_checks_in(
        year, branch_ids))
    rollup.drain_requests()
    # The first pass missed the late write; the loop claimed its new row and counted it.
    assert reached(district.branch_a1, year) == 1 and not RollupRequest.objects.exists()


def test_a_claim_left_by_a_dead_drain_is_taken_again_after_it_expires(district):
    from django.utils import timezone

    factories.attendance(district.session_a1, district.member_a1)
    year = district.session_a1.starts_at.year
    schedule_refresh([district.branch_a1.pk], [year])
    RollupRequest.objects.update(claimed_at=timezone.now())  # a drain took it, then its worker was killed
    assert drain_requests() == 0 and RollupRequest.objects.count() == 1
    RollupRequest.objects.update(claimed_at=timezone.now() - CLAIM_EXPIRES)
    drain_requests()
    assert reached(district.branch_a1, year) == 1 and not RollupRequest.objects.exists()


def test_a_lone_scan_shares_its_transaction_with_its_request(transactional_db, monkeypatch):
    """Outside any transaction (a QR scan in autocommit) the row and its request commit together."""
    factories.ensure_policy_rules()
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    branch = factories.organisation("自动提交党支部", Organisation.Kind.BRANCH, root)
    member = factories.member(branch)
    from datetime import timedelta

    from django.utils import timezone

    session = factories.session(branch, starts_at=timezone.now() - timedelta(minutes=10))
    asked = asked_drains(monkeypatch)
    assert transaction.get_autocommit()
    record_attendance(session, [Mark(member, "present", channel="qr")], known_changed=True)
    assert RollupRequest.objects.filter(branch_id=branch.pk).count() == 1 and len(asked) == 1


def test_after_a_failed_send_the_process_stops_trying_the_broker_for_a_while(monkeypatch):
    from jiangbei import dispatch

    attempts = []

    def broker_away(*args, **kwargs):
        attempts.append(kwargs)
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    monkeypatch.setattr(drain_rollup_requests, "apply_async", broker_away)
    assert dispatch.send_now(drain_rollup_requests) is False
    assert dispatch.send_now(drain_rollup_requests) is False  # not even tried: a scan does not wait on it
    assert len(attempts) == 1 and attempts[0]["ignore_result"] is True and attempts[0]["retry"] is False
    monkeypatch.setattr(dispatch, "_paused_until", 0.0)  # the pause is over
    assert dispatch.send_now(drain_rollup_requests) is False and len(attempts) == 2
