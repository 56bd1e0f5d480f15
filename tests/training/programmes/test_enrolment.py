"""Cohort enrolment with preview, capacity and waitlist promotion, quotas, scope."""

import pytest
from django.urls import reverse

from tests import factories
from training.organisation.models import Category, Member
from training.programmes import enrolment
from training.programmes.models import Enrolment, SessionQuota


@pytest.fixture
def session_a(district):
    return factories.session(district.street_a, title="书记班", capacity=2)


def placed(session):
    return set(Enrolment.objects.filter(session=session, waitlist_position__isnull=True)
               .values_list("member__name", flat=True))


def waiting(session):
    return list(Enrolment.objects.filter(session=session, waitlist_position__isnull=False)
                .order_by("waitlist_position").values_list("member__name", flat=True))


def test_capacity_fills_then_waitlist_then_promotion_on_withdrawal(district, session_a):
    for i in range(2):
        factories.member(district.branch_a1, name=f"候补{i}")
    result = enrolment.enrol(session_a, Member.objects.filter(branch__path__startswith=district.street_a.path), by=factories.superuser())
    assert (result.placed, result.waitlisted) == (2, 2)
    assert len(placed(session_a)) == 2 and len(waiting(session_a)) == 2
    assert list(Enrolment.objects.filter(waitlist_position__isnull=False).order_by("waitlist_position")
                .values_list("waitlist_position", flat=True)) == [1, 2]
    first_waiting = waiting(session_a)[0]
    leaving = Enrolment.objects.filter(session=session_a, waitlist_position__isnull=True).first()
    promoted = enrolment.withdraw(leaving, by=factories.superuser())
    assert promoted.member.name == first_waiting
    assert first_waiting in placed(session_a) and len(placed(session_a)) == 2
    assert len(waiting(session_a)) == 1
    # Withdrawing from the waitlist frees no place and promotes nobody.
    assert enrolment.withdraw(Enrolment.objects.get(session=session_a, waitlist_position__isnull=False), by=factories.superuser()) is None
    assert len(placed(session_a)) == 2


def test_enrolling_twice_never_duplicates(district, session_a):
    members = Member.objects.filter(pk=district.member_a1.pk)
    enrolment.enrol(session_a, members, by=factories.superuser())
    again = enrolment.enrol(session_a, members, by=factories.superuser())
    assert again.already == 1 and again.placed == 0
    assert Enrolment.objects.filter(session=session_a).count() == 1


def test_quotas_limit_each_organisation(district):
    session = factories.session(district.root, title="党校班", capacity=10)
    for i in range(3):
        factories.member(district.branch_a1, name=f"甲{i}")
        factories.member(district.branch_b1, name=f"乙{i}")
    SessionQuota.objects.create(session=session, organisation=district.street_a, places=2)
    SessionQuota.objects.create(session=session, organisation=district.street_b, places=1)
    result = enrolment.enrol(session, Member.objects.all(), by=factories.superuser())
    assert result.placed == 3 and result.over_quota == Member.objects.count() - 3
    rows = {r["member__branch__path"][:14]: r["placed"] for r in enrolment.by_branch(session, Member.objects.all())}
    assert sum(rows.values()) == 3
    taken = {quota.organisation.name: n for quota, n in enrolment.quota_state(session)}
    assert taken == {"甲街道党工委": 2, "乙街道党工委": 1}


def test_promotion_respects_quotas(district):
    session = factories.session(district.root, title="党校班", capacity=1)
    SessionQuota.objects.create(session=session, organisation=district.street_a, places=1)
    a = Enrolment.objects.create(session=session, member=district.member_a1)
    Enrolment.objects.create(session=session, member=district.member_b1, waitlist_position=1, source="waitlist")
    Enrolment.objects.create(session=session, member=district.member_a2, waitlist_position=2, source="waitlist")
    promoted = enrolment.withdraw(a, by=factories.superuser())
    assert promoted.member == district.member_a2  # 乙 has no quota, so 甲二 moves up


def test_cohort_preview_then_enrol_through_the_form(client_as, district, session_a):
    factories.member(district.branch_a1, name="书记甲", position=Member.Position.SECRETARY)
    factories.member(district.branch_b1, name="书记乙", position=Member.Position.SECRETARY)
    client = client_as("organiser")
    data = {"positions": ["secretary"], "action": "preview"}
    response = client.post(reverse("session_enrol", args=[session_a.pk]), data)
    assert response.context["preview"] == 1  # the other street's secretary is out of scope
    assert not Enrolment.objects.exists()
    response = client.post(reverse("session_enrol", args=[session_a.pk]), data | {"action": "enrol"})
    assert response.status_code == 302
    assert placed(session_a) == {"书记甲"}


def test_cohort_matching_nobody_is_refused(client_as, district, session_a):
    response = client_as("organiser").post(
        reverse("session_enrol", args=[session_a.pk]),
        {"categories": [Category.SOE], "action": "enrol"},
    )
    assert "没有符合条件的党员" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_not_yet_reached_this_year(client_as, district):
    session = factories.session(district.street_a, title="补课")
    factories.attendance(factories.session(district.street_a), district.member_a1)  # reached (dated this year)
    cohort = enrolment.Cohort(not_reached_in=session.starts_at.year, organisation=district.street_a)
    names = set(cohort.members(Member.objects.all()).values_list("name", flat=True))
    assert "张甲一" not in names and "李甲二" in names


def test_enrolment_page_per_branch_is_scoped(client_as, district):
    session = factories.session(district.root, title="全区班")
    enrolment.enrol(session, Member.objects.all(), by=factories.superuser())
    response = client_as("secretary_a1").get(reverse("session_enrolments", args=[session.pk]))
    branches = [row["member__branch__name"] for row in response.context["by_branch"]]
    assert branches == ["甲社区第一党支部"]
    assert "王乙一" not in response.content.decode()


def test_quota_form_refuses_more_than_capacity(client_as, district, session_a):
    response = client_as("organiser").post(reverse("session_quotas", args=[session_a.pk]),
                                           {f"org_{district.community_a.pk}": 5})
    assert "超过" in response.content.decode()
    assert not SessionQuota.objects.exists()


def test_other_street_cannot_enrol_into_session(client_as, district):
    assert client_as("organiser").get(reverse("session_enrol", args=[district.session_b1.pk])).status_code == 404


def test_enrolment_and_quotas_are_the_organisers_of_the_session(district, personas):
    """The actions check who may, whatever view calls them."""
    from django.core.exceptions import PermissionDenied

    session = factories.session(district.street_a, capacity=10)
    for persona in ("secretary_a1", "leader", "nobody"):
        with pytest.raises(PermissionDenied):
            enrolment.enrol(session, Member.objects.all(), by=personas[persona])
        with pytest.raises(PermissionDenied):
            enrolment.set_quotas(session, {district.community_a.pk: 3}, by=personas[persona])
    other_street = factories.session(district.street_b)
    with pytest.raises(PermissionDenied):
        enrolment.enrol(other_street, Member.objects.all(), by=personas["organiser"])
    assert not Enrolment.objects.exists() and not SessionQuota.objects.exists()
    # An organiser enrols only the members in their own area.
    result = enrolment.enrol(session, Member.objects.all(), by=personas["organiser"])
    assert result.placed == Member.objects.filter(branch__path__startswith=district.street_a.path).count()


def test_a_secretary_withdraws_her_own_members_only(district, personas):
    from django.core.exceptions import PermissionDenied

    session = factories.session(district.root)
    enrolment.enrol(session, Member.objects.all(), by=personas["superuser"])
    own = Enrolment.objects.get(session=session, member=district.member_a1)
    other = Enrolment.objects.get(session=session, member=district.member_b1)
    with pytest.raises(PermissionDenied):
        enrolment.withdraw(other, by=personas["secretary_a1"])
    enrolment.withdraw(own, by=personas["secretary_a1"])
    assert set(Enrolment.objects.filter(session=session).values_list("member", flat=True)) == {
        district.member_a2.pk, district.member_b1.pk
    }
