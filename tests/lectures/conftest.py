"""Outreach personas on top of the shared small district.

Two lecturers (one with a login), a requester for 甲社区党委 and one for 乙社区联合党支部.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from lectures.models import Lecturer, LectureRequest, Scene
from tests import factories
from training.organisation.models import Grant


@dataclass
class Outreach:
    wang: Lecturer  # has the login "lecturer_wang"
    li: Lecturer
    zhao: Lecturer


@pytest.fixture
def outreach(district, personas) -> Outreach:
    R = Grant.Role
    wang_user = factories.user("lecturer_wang", R.LECTURER, district.root, email="wang@example.org")
    personas["lecturer"] = wang_user
    personas["requester_a"] = factories.user("requester_a", R.REQUESTER, district.community_a, email="a@example.org")
    personas["requester_b"] = factories.user("requester_b", R.REQUESTER, district.branch_b1)
    return Outreach(
        wang=Lecturer.objects.create(
            name="王讲师", kind=Lecturer.Kind.SCHOLAR, topics="基层治理、乡村振兴惠民政策", dialects="普通话、南京话",
            user=wang_user, in_baiqianwan=True,
        ),
        li=Lecturer.objects.create(
            name="李讲师", kind=Lecturer.Kind.MODEL_WORKER, topics="科技自立自强", dialects="普通话、江浦话",
            in_baiqianwan=True,
        ),
        zhao=Lecturer.objects.create(
            name="赵讲师", kind=Lecturer.Kind.POPULAR_SPEAKER, topics="基层治理", dialects="普通话", in_xinghuo=True,
        ),
    )


def future(days: int = 10, hour: int = 14):
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def make_request(requester, *, state=LectureRequest.State.ORDERED, lecturer=None, start=None, topic="基层治理", dialect=""):
    start = start or future()
    return LectureRequest.objects.create(
        requester=requester, requester_kind=LectureRequest.RequesterKind.COMMUNITY, topic=topic,
        scene=Scene.COMMUNITY_SQUARE, preferred_start=start, preferred_end=start + timedelta(hours=2),
        state=state, lecturer=lecturer, dialect=dialect,
    )
