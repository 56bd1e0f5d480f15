"""Outreach report figures: grouped aggregates in the database, scoped to the viewer."""

from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from lectures.models import BAIQIANWAN_TARGET, Lecture, Lecturer, Scene, VolunteerService


def figures(user, year: int) -> dict:
    """Lectures by scene, street and month, audience reached, lecturer activity, volunteer hours.

    Everything comes from ``visible_to(user)``: a lecturer or requester sees their own
    figures, an organiser their subtree, a leader the district.
    """
    lectures = Lecture.objects.visible_to(user).filter(starts_at__year=year)
    # One id subquery, so that the joins of the role filters never multiply the sums.
    lectures = Lecture.objects.filter(pk__in=lectures.values("pk")).order_by()
    totals = lectures.aggregate(lectures=Count("pk"), audience=Sum("audience_headcount"))
    scene_labels = dict(Scene.choices)
    by_scene = [
        {"scene": str(scene_labels.get(row["scene"], row["scene"])), "lectures": row["lectures"], "audience": row["audience"] or 0}
        for row in lectures.values("scene").annotate(lectures=Count("pk"), audience=Sum("audience_headcount")).order_by("scene")
    ]
    by_street = [
        {"street": row["street__name"], "lectures": row["lectures"], "audience": row["audience"] or 0}
        for row in lectures.values("street__name").annotate(
            lectures=Count("pk"), audience=Sum("audience_headcount")
        ).order_by("street__name")
    ]
    months = {
        row["month"]: row
        for row in lectures.annotate(month=ExtractMonth("starts_at")).values("month").annotate(
            lectures=Count("pk"), audience=Sum("audience_headcount")
        ).order_by("month")
    }
    by_month = [
        {"month": month, "label": _("Month %(month)d") % {"month": month}, "lectures": months.get(month, {}).get("lectures", 0), "audience": months.get(month, {}).get("audience") or 0}
        for month in range(1, 13)
    ]
    by_lecturer = [
        {"lecturer": row["lecturer__name"], "lectures": row["lectures"], "audience": row["audience"] or 0}
        for row in Lecture.lecturers.through.objects.filter(lecture__in=lectures.values("pk"))
        .values("lecturer_id", "lecturer__name")
        .annotate(lectures=Count("lecture_id"), audience=Sum("lecture__audience_headcount"))
        .order_by("lecturer__name", "lecturer_id")
    ]
    services = VolunteerService.objects.visible_to(user).filter(date__year=year)
    services = VolunteerService.objects.filter(pk__in=services.values("pk")).order_by()
    volunteer_totals = services.aggregate(count=Count("pk"), hours=Sum("hours"), beneficiaries=Sum("beneficiaries"))
    kind_labels = dict(VolunteerService.Kind.choices)
    volunteer_by_street = [
        {"street": row["street__name"], "count": row["count"], "hours": row["hours"], "beneficiaries": row["beneficiaries"]}
        for row in services.values("street__name").annotate(
            count=Count("pk"), hours=Sum("hours"), beneficiaries=Sum("beneficiaries")
        ).order_by("street__name")
    ]
    volunteer_by_kind = [
        {"kind": str(kind_labels.get(row["kind"], row["kind"])), "count": row["count"], "hours": row["hours"]}
        for row in services.values("kind").annotate(count=Count("pk"), hours=Sum("hours")).order_by("kind")
    ]
    backbones = Lecturer.objects.filter(in_baiqianwan=True, is_active=True).count()
    return {
        "year": year,
        "lectures": totals["lectures"],
        "audience": totals["audience"] or 0,
        "by_scene": by_scene,
        "by_street": by_street,
        "by_month": by_month,
        "by_lecturer": by_lecturer,
        "volunteer": {
            "count": volunteer_totals["count"],
            "hours": volunteer_totals["hours"] or 0,
            "beneficiaries": volunteer_totals["beneficiaries"] or 0,
        },
        "volunteer_by_street": volunteer_by_street,
        "volunteer_by_kind": volunteer_by_kind,
        "baiqianwan": {"backbones": backbones, "target": BAIQIANWAN_TARGET},
    }
