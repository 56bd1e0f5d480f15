"""The session list: coming sessions first, the next one on top, then the past ones, latest first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_next_session_is_on_top_and_the_past_follows_latest_first(district, client_as):
    now = timezone.now()
    for title, days in (("三周后", 21), ("明天", 1), ("上周", -7), ("昨天", -1), ("下周", 7)):
        factories.session(district.branch_a1, title=f"排序{title}", starts_at=now + timedelta(days=days))
    page = client_as("secretary_a1").get(reverse("session_list"), {"q": "排序"})
    titles = [session.title for session in page.context["page"].object_list]
    assert titles == ["排序明天", "排序下周", "排序三周后", "排序昨天", "排序上周"]


def test_list_filters_keep_what_was_chosen(district, client_as):
    """The shared filter controls show the current choice, whether the value is a code or an id."""
    sessions = client_as("secretary_a1").get(reverse("session_list"), {"kind": "theme_day", "q": "党日"}).text
    assert '<option value="theme_day" selected>' in sessions and 'value="党日"' in sessions
    assert ">清除</a>" in sessions
    venues = client_as("organiser").get(reverse("venue_list"), {"street": district.street_a.pk}).text
    assert f'<option value="{district.street_a.pk}" selected>' in venues
    assert ">清除</a>" not in client_as("organiser").get(reverse("venue_list")).text
