import pytest
from django.urls import reverse

from training.attendance.models import Attendance
from training.organisation.access import scope_for
from training.organisation.models import Member, Organisation
from training.programmes.models import Session

pytestmark = pytest.mark.django_db


def test_secretary_gets_404_on_another_branchs_member_and_session(district, client_as):
    client = client_as("secretary_a1")
    assert client.get(reverse("member_detail", args=[district.member_a1.pk])).status_code == 200
    assert client.get(reverse("session_detail", args=[district.session_a1.pk])).status_code == 200
    assert client.get(reverse("member_detail", args=[district.member_b1.pk])).status_code == 404
    assert client.get(reverse("session_detail", args=[district.session_b1.pk])).status_code == 404
    assert client.get(reverse("organisation_detail", args=[district.branch_b1.pk])).status_code == 404
    # Same street, other branch: still not theirs.
    assert client.get(reverse("member_detail", args=[district.member_a2.pk])).status_code == 404


def test_secretary_lists_show_none_of_another_branchs_rows(district, client_as):
    client = client_as("secretary_a1")
    members_page = client.get(reverse("member_list")).content.decode()
    assert district.member_a1.name in members_page
    assert district.member_b1.name not in members_page and district.member_a2.name not in members_page
    sessions_page = client.get(reverse("session_list")).content.decode()
    assert "甲一支部主题党日" in sessions_page and "乙一支部主题党日" not in sessions_page
    # A district session their member attended is visible, but only their branch's rows in it.
    detail = client.get(reverse("session_detail", args=[district.district_session.pk])).content.decode()
    assert district.member_a1.name in detail and district.member_b1.name not in detail


def test_visible_to_scopes_every_model(district, personas):
    secretary = personas["secretary_a1"]
    assert set(Member.objects.visible_to(secretary)) == {district.member_a1}
    assert set(Organisation.objects.visible_to(secretary)) == {district.branch_a1}
    assert set(Attendance.objects.visible_to(secretary).values_list("member", flat=True)) == {district.member_a1.pk}
    assert set(Session.objects.visible_to(secretary)) == {district.session_a1, district.district_session}
    organiser = personas["organiser"]
    assert set(Member.objects.visible_to(organiser)) == {district.member_a1, district.member_a2}
    assert district.session_b1 not in set(Session.objects.visible_to(organiser))
    assert Member.objects.visible_to(personas["leader"]).count() == 3
    assert Member.objects.visible_to(personas["superuser"]).count() == 3
    assert not Member.objects.visible_to(personas["nobody"]).exists()


def test_phones_are_masked_on_member_pages(district, client_as):
    page = client_as("secretary_a1").get(reverse("member_detail", args=[district.member_a1.pk])).content.decode()
    assert "138****5678" in page and "13812345678" not in page


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("superuser", "dashboard"),
        ("leader", "dashboard"),
        ("organiser", "session_list"),
        ("secretary_a1", "my_branch"),
    ],
)
def test_front_door_sends_each_role_to_its_work(district, client_as, persona, landing):
    response = client_as(persona).get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse(landing)
    assert client_as(persona).get(response.url).status_code == 200


def test_user_without_role_is_refused(district, client_as):
    client = client_as("nobody")
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("member_list")).status_code == 403


def test_secretary_cannot_open_the_leaders_dashboard(district, client_as):
    assert client_as("secretary_a1").get(reverse("dashboard")).status_code == 403


def test_anonymous_users_are_sent_to_login(client, district):
    response = client.get(reverse("member_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_my_branch_shows_only_own_members(district, client_as):
    page = client_as("secretary_a1").get(reverse("my_branch")).content.decode()
    assert district.member_a1.name in page and district.member_b1.name not in page


def test_scope_is_cached_per_user_object(district, personas, django_assert_num_queries):
    secretary = personas["secretary_a1"]
    with django_assert_num_queries(1):
        scope_for(secretary)
        scope_for(secretary)
    assert scope_for(secretary).path == district.branch_a1.path
