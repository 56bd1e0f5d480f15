"""精准画像: the curriculum on offer to each member category against the article's focus list.

The focus areas come from the source article (see DOMAIN.md, "Member categories"); a
category is flagged as thin when a focus area has no course aimed at that category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from training.organisation.models import Category, Member, NewSectorSubtype
from training.programmes.models import Course, Session

# (label, keywords matched in a course's title or topics)
FOCUS = {
    Category.ORGAN: [
        (_("Law-based administration (依法行政)"), ("依法行政", "法治")),
        (_("Business environment (优化营商环境)"), ("营商环境",)),
    ],
    Category.COMMUNITY: [
        (_("Grass-roots governance (基层治理)"), ("基层治理", "网格", "社区治理")),
        (_("Working with residents (群众工作)"), ("群众工作", "居民", "群众")),
        (_("Explaining welfare policy (惠民政策)"), ("惠民", "民生", "政策宣讲", "政策解读")),
    ],
    Category.SOE: [
        (_("Party building leads enterprise development (党建引领发展)"), ("党建引领", "国企发展")),
        (_("Preserving state assets (国有资产保值增值)"), ("国有资产", "保值增值")),
        (_("Integrity risk control (廉洁风险防控)"), ("廉洁",)),
    ],
    Category.NEW_SECTOR: [
        (_("Policy for emerging fields (新兴领域政策)"), ("新兴领域", "新质生产力", "新业态")),
        (_("Fusing party work with business (党建与业务融合)"), ("融合", "党建与业务")),
        (_("Members as pioneers in R&D and sales (先锋模范)"), ("先锋", "模范")),
    ],
}


@dataclass
class CategoryProfile:
    code: str
    label: str
    members: int = 0
    specific_courses: list[Course] = field(default_factory=list)
    general_courses: int = 0
    hours_on_offer: Decimal = Decimal("0")
    specific_hours: Decimal = Decimal("0")
    sessions: int = 0
    covered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    subtypes: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def thin(self) -> bool:
        return bool(self.missing)


def _mentions(course: Course, keywords: tuple[str, ...]) -> bool:
    text = f"{course.title} {course.topics}"
    return any(keyword in text for keyword in keywords)


def profiles(year: int, members) -> list[CategoryProfile]:
    """One profile per category (three queries: courses, sessions per course, members)."""
    courses = list(Course.objects.filter(programme__year=year).select_related("programme").order_by("title"))
    sessions = dict(
        Session.objects.filter(programme__year=year)
        .exclude(status=Session.Status.CANCELLED)
        .values("course_id").annotate(n=Count("id")).values_list("course_id", "n")
    )
    member_counts = dict(members.active().values("category").annotate(n=Count("id")).values_list("category", "n"))
    subtype_counts = dict(
        members.active().filter(category=Category.NEW_SECTOR).exclude(new_sector_subtype="")
        .values("new_sector_subtype").annotate(n=Count("id")).values_list("new_sector_subtype", "n")
    )
    result = []
    for code, label in Category.choices:
        profile = CategoryProfile(code=code, label=str(label), members=member_counts.get(code, 0))
        for course in courses:
            targets = course.target_categories or []
            if code in targets:
                profile.specific_courses.append(course)
                profile.specific_hours += course.credited_hours
            elif not targets:
                profile.general_courses += 1
            else:
                continue
            profile.hours_on_offer += course.credited_hours
            profile.sessions += sessions.get(course.pk, 0)
        for focus_label, keywords in FOCUS.get(code, []):
            hit = any(_mentions(course, keywords) for course in profile.specific_courses)
            (profile.covered if hit else profile.missing).append(str(focus_label))
        if code == Category.NEW_SECTOR:
            for sub_code, sub_label in NewSectorSubtype.choices:
                aimed = sum(
                    1 for course in profile.specific_courses
                    if not course.target_subtypes or sub_code in course.target_subtypes
                )
                profile.subtypes.append((str(sub_label), aimed, subtype_counts.get(sub_code, 0)))
        result.append(profile)
    return result


def members_query(user):
    return Member.objects.visible_to(user)


