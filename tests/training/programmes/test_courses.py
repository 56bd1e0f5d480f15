"""Course catalogue, programmes and the precision view (精准画像)."""

from decimal import Decimal

from django.urls import reverse

from tests import factories
from training.organisation.models import Category
from training.programmes import actions as scheduling_actions
from training.programmes.models import Course, DeliveryMode, Programme


def make_course(programme, title, categories, hours="4", topics=""):
    return Course.objects.create(title=title, programme=programme, target_categories=categories,
                                 credited_hours=Decimal(hours), mode=DeliveryMode.OFFLINE, topics=topics)


def test_organiser_creates_a_programme_and_a_course_aimed_at_categories(client_as, district):
    client = client_as("organiser")
    response = client.post(reverse("programme_create"), {"name": "甲街道冬训", "kind": "winter_training",
                                                          "year": 2030, "organiser": district.street_a.pk})
    assert response.status_code == 302
    programme = Programme.objects.get(name="甲街道冬训")
    response = client.post(reverse("course_create"), {
        "title": "新就业群体党建", "programme": programme.pk, "topics": "新兴领域党建",
        "target_categories": ["new_sector"], "target_subtypes": ["new_employment"], "credited_hours": "3",
        "mode": "blended",
    })
    assert response.status_code == 302
    course = Course.objects.get(title="新就业群体党建")
    assert course.target_categories == ["new_sector"] and course.target_subtypes == ["new_employment"]


def test_course_form_refuses_subtypes_without_new_sector_and_zero_hours(client_as, district):
    programme = factories.programme(district.street_a)
    response = client_as("organiser").post(reverse("course_create"), {
        "title": "x", "programme": programme.pk, "target_categories": ["organ"],
        "target_subtypes": ["non_public"], "credited_hours": "0", "mode": "offline",
    })
    errors = response.context["form"].errors
    assert "target_subtypes" in errors and "credited_hours" in errors
    assert not Course.objects.filter(title="x").exists()


def test_street_organiser_cannot_edit_another_streets_course(client_as, district):
    course = make_course(factories.programme(district.street_b), "乙街道课程", [])
    client = client_as("organiser")
    assert client.get(reverse("course_edit", args=[course.pk])).status_code == 403
    # Nor choose another street's programme for a new course.
    response = client.get(reverse("course_create"))
    assert course.programme not in response.context["form"].fields["programme"].queryset


def test_catalogue_filters_by_category(client_as, district):
    programme = factories.programme(district.street_a, year=2030)
    organ = make_course(programme, "机关专题", [Category.ORGAN])
    make_course(programme, "社区专题", [Category.COMMUNITY])
    make_course(programme, "通用课", [])
    factories.session(district.street_a, course=organ)
    scheduling_actions.cancel_session(factories.session(district.street_a, course=organ), by=factories.superuser())
    page = client_as("organiser").get(reverse("course_list"), {"category": "organ"}).context["page"]
    titles = {c.title: c for c in page}
    assert {"机关专题", "通用课"} <= set(titles) and "社区专题" not in titles
    assert titles["机关专题"].session_count == 1 and titles["通用课"].session_count == 0


def test_precision_view_flags_thin_categories(client_as, district):
    programme = factories.programme(district.root, year=2030)
    make_course(programme, "依法行政与优化营商环境", [Category.ORGAN], hours="4")
    make_course(programme, "基层治理专题", [Category.COMMUNITY], hours="2")
    make_course(programme, "理论学习", [], hours="8")
    response = client_as("leader").get(reverse("precision_view"), {"year": 2030})
    profiles = {p.code: p for p in response.context["profiles"]}
    organ, community, soe = profiles["organ"], profiles["community"], profiles["soe"]
    assert not organ.thin and organ.hours_on_offer == Decimal("12")
    assert community.thin and len(community.missing) == 2  # residents and welfare policy missing
    assert soe.thin and soe.specific_courses == [] and soe.general_courses == 1
    assert profiles["community"].members == 3  # the small district's members are all 社区
    html = response.content.decode()
    assert "课程偏少" in html


def test_secretary_cannot_open_the_precision_view(client_as):
    assert client_as("secretary_a1").get(reverse("precision_view")).status_code == 403
