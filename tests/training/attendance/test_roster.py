"""The roster: the secretary's members, all present then exceptions, htmx toggles, scope."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from training.attendance.models import Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(district):
    """The shared district, with branch A1's meeting under way (a roster is marked from then)."""
    district.session_a1.starts_at = timezone.now() - timedelta(minutes=10)
    district.session_a1.ends_at = district.session_a1.starts_at + timedelta(hours=2)
    district.session_a1.save(update_fields=["starts_at", "ends_at"])
    return district


def test_a_roster_cannot_be_marked_before_the_meeting(district, client_as):
    future = factories.session(district.branch_a1, starts_at=timezone.now() + timedelta(days=12))
    client = client_as("secretary_a1")
    response = client.post(reverse("roster", args=[future.pk]), {f"m{district.member_a1.pk}": "present"}, follow=True)
    assert "尚未开始" in response.text
    assert not Attendance.objects.filter(session=future).exists()


def test_roster_lists_the_secretarys_members_only(district, client_as):
    response = client_as("secretary_a1").get(reverse("roster", args=[district.session_a1.pk]))
    assert response.status_code == 200
    assert district.member_a1.name in response.text
    assert district.member_b1.name not in response.text
    assert district.member_a1.phone not in response.text  # masked


def test_everyone_else_present_then_exceptions(district, client_as):
    late = factories.member(district.branch_a1, name="迟到者")
    elderly = factories.member(district.branch_a1, name="老党员", is_elderly=True)
    client = client_as("secretary_a1")
    url = reverse("roster", args=[district.session_a1.pk])
    response = client.post(url, {"action": "all_present", f"m{late.pk}": "late"})
    assert response.status_code == 302
    statuses = dict(Attendance.objects.filter(session=district.session_a1).values_list("member_id", "status"))
    assert statuses == {district.member_a1.pk: "present", late.pk: "late"}
    assert elderly.pk not in statuses  # no hard requirement: never marked absent by default


def test_saving_the_roster_keeps_how_unchanged_marks_were_recorded(district, client_as):
    """A member who scanned the QR code stays a scan when the secretary saves the roster."""
    scanned = factories.attendance(district.session_a1, district.member_a1, channel=Attendance.Channel.QR)
    walk_in = factories.member(district.branch_a1, name="补登者")
    client = client_as("secretary_a1")
    response = client.post(reverse("roster", args=[district.session_a1.pk]),
                           {f"m{district.member_a1.pk}": "present", f"m{walk_in.pk}": "present"}, follow=True)
    assert "考勤已保存：更新 1 条" in response.text  # one row written: the walk-in
    assert Attendance.objects.get(pk=scanned.pk).channel == "qr"
    assert Attendance.objects.get(session=district.session_a1, member=walk_in).channel == "roster"
    # A changed status is the secretary's mark.
    client.post(reverse("roster", args=[district.session_a1.pk]), {f"m{district.member_a1.pk}": "left_early"})
    assert Attendance.objects.get(pk=scanned.pk).status == "left_early"


def test_htmx_toggle_saves_one_mark_and_returns_the_row(district, client_as):
    client = client_as("secretary_a1")
    url = reverse("roster_mark", args=[district.session_a1.pk])
    response = client.post(url, {"member": district.member_a1.pk, f"m{district.member_a1.pk}": "excused"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="row-{district.member_a1.pk}"' in response.text
    assert 'id="marked-count" hx-swap-oob="true">已登记 1 / 1 人' in response.text  # the page's count follows
    assert Attendance.objects.get(session=district.session_a1, member=district.member_a1).status == "excused"


def test_secretary_cannot_post_another_branchs_member(district, client_as):
    client = client_as("secretary_a1")
    url = reverse("roster_mark", args=[district.district_session.pk])
    response = client.post(url, {"member": district.member_b1.pk, f"m{district.member_b1.pk}": "absent"})
    assert response.status_code == 404
    assert Attendance.objects.get(session=district.district_session, member=district.member_b1).status == "present"
    # The full roster form ignores members outside the branch.
    client.post(reverse("roster", args=[district.district_session.pk]), {f"m{district.member_b1.pk}": "absent"})
    assert Attendance.objects.get(session=district.district_session, member=district.member_b1).status == "present"


def test_roster_of_another_branchs_session_is_not_found(district, client_as):
    response = client_as("secretary_a1").get(reverse("roster", args=[district.session_b1.pk]))
    assert response.status_code == 404


def test_organiser_sees_every_branch_of_the_subtree(district, client_as):
    client = client_as("organiser")
    response = client.get(reverse("roster", args=[district.district_session.pk]))
    assert response.status_code == 200
    assert district.branch_a1.name in response.text
    assert district.branch_b1.name not in response.text  # another street
    response = client.get(reverse("roster", args=[district.district_session.pk]) + f"?branch={district.branch_a2.pk}")
    assert district.member_a2.name in response.text
    response = client.get(reverse("roster", args=[district.district_session.pk]) + f"?branch={district.branch_b1.pk}")
    assert response.status_code == 404


def test_leader_cannot_mark(district, client_as):
    response = client_as("leader").get(reverse("roster", args=[district.session_a1.pk]))
    assert response.status_code == 403


def test_roster_save_query_count_does_not_grow_with_members(district, client_as, django_assert_max_num_queries):
    members = [factories.member(district.branch_a1) for _ in range(60)]
    client = client_as("secretary_a1")
    data = {f"m{m.pk}": "present" for m in members}
    # session, user, scope, session, branch, members, rules, savepoint, existing, INSERT, roll-up request, audit,
    # release
    with django_assert_max_num_queries(13):
        client.post(reverse("roster", args=[district.session_a1.pk]), data)
    assert Attendance.objects.filter(session=district.session_a1, attended=True).count() == 60


def test_my_branch_shows_awaiting_sessions_not_reached_and_targets(district, client_as):
    from datetime import timedelta

    from django.utils import timezone

    past = factories.session(district.branch_a1, title="上周主题党日", starts_at=timezone.now() - timedelta(days=7))
    response = client_as("secretary_a1").get(reverse("my_branch"))
    assert response.status_code == 200
    assert past.title in response.text
    assert reverse("roster", args=[past.pk]) in response.text
    assert "/ 32" in response.text  # hours against the annual target from PolicyRule


def test_a_cancelled_session_has_no_roster_and_no_enrolment(district, client_as, personas):
    session = district.session_a1
    session.status = session.Status.CANCELLED
    session.save(update_fields=["status"])
    response = client_as("secretary_a1").post(
        reverse("roster", args=[session.pk]), {f"m{district.member_a1.pk}": "present"}, follow=True
    )
    assert "已取消" in response.text
    assert not Attendance.objects.filter(session=session).exists()
    detail = client_as("secretary_a1").get(reverse("session_detail", args=[session.pk])).text
    assert reverse("roster", args=[session.pk]) not in detail
