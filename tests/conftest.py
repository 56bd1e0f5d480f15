"""Personas and a small district shared by the tests.

The district: 新区党工委 → 甲街道 → 甲社区党委 → branch A1, A2; 乙街道 → branch B1.
Personas: an organiser of 甲街道, secretaries of A1 and B1, a leader of the whole district,
a superuser, and a user with no role.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from training.organisation.models import Grant, Member, Organisation
from training.programmes.models import Session

from . import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@dataclass
class District:
    root: Organisation
    street_a: Organisation
    community_a: Organisation
    branch_a1: Organisation
    branch_a2: Organisation
    street_b: Organisation
    branch_b1: Organisation
    member_a1: Member
    member_a2: Member
    member_b1: Member
    session_a1: Session
    session_b1: Session
    district_session: Session


@pytest.fixture
def district(db) -> District:
    K = Organisation.Kind
    root = factories.organisation("新区党工委", K.WORKING_COMMITTEE)
    street_a = factories.organisation("甲街道党工委", K.STREET, root)
    community_a = factories.organisation("甲社区党委", K.COMMITTEE, street_a)
    branch_a1 = factories.organisation("甲社区第一党支部", K.BRANCH, community_a)
    branch_a2 = factories.organisation("甲社区第二党支部", K.BRANCH, community_a)
    street_b = factories.organisation("乙街道党工委", K.STREET, root)
    branch_b1 = factories.organisation("乙社区联合党支部", K.JOINT_BRANCH, street_b)
    member_a1 = factories.member(branch_a1, name="张甲一", phone="13812345678")
    member_a2 = factories.member(branch_a2, name="李甲二")
    member_b1 = factories.member(branch_b1, name="王乙一")
    # Held yesterday: attendance is recorded at or after a session, never before.
    held = timezone.now() - timedelta(days=1)
    district_session = factories.session(root, title="全区直播课", starts_at=held)
    factories.attendance(district_session, member_a1)
    factories.attendance(district_session, member_b1)
    return District(
        root=root, street_a=street_a, community_a=community_a, branch_a1=branch_a1, branch_a2=branch_a2,
        street_b=street_b, branch_b1=branch_b1, member_a1=member_a1, member_a2=member_a2, member_b1=member_b1,
        session_a1=factories.session(branch_a1, title="甲一支部主题党日", starts_at=held),
        session_b1=factories.session(branch_b1, title="乙一支部主题党日", starts_at=held),
        district_session=district_session,
    )


@pytest.fixture
def personas(district):
    R = Grant.Role
    return {
        "organiser": factories.user("organiser_a", R.ORGANISER, district.street_a),
        "secretary_a1": factories.user("secretary_a1", R.SECRETARY, district.branch_a1),
        "secretary_b1": factories.user("secretary_b1", R.SECRETARY, district.branch_b1),
        "leader": factories.user("leader", R.LEADER, district.root),
        "superuser": factories.user("root", is_superuser=True, is_staff=True),
        "nobody": factories.user("nobody"),
    }


@pytest.fixture
def client_as(client, personas):
    def login(persona: str):
        client.force_login(personas[persona])
        return client

    return login


@pytest.fixture(autouse=True)
def eager_celery_unless_services(request):
    """Outside @services tests, tasks run in-process even when a broker is configured."""
    from jiangbei.celery import app

    if request.node.get_closest_marker("services"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and debounce keys must not leak from one test (or run) into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~0.3 s a user; the tests exercise access rules, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _broker_not_paused():
    """A test that made a send fail must not hold back the next test's sends."""
    from jiangbei import dispatch

    dispatch._paused_until = 0.0
    yield
    dispatch._paused_until = 0.0
