"""Dashboard, coverage.json, exports and the annual summary: read from roll-ups, scoped."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from devtools.seeding import SCALES, DistrictGenerator
from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import CoverageRun
from training.coverage.receivers import schedule_refresh
from training.coverage.reports import official_number
from training.coverage.rollup import refresh_coverage
from training.organisation.models import Grant, Organisation

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def demo():
    DistrictGenerator(SCALES["demo"], 1).run()
    refresh_coverage(YEAR)
    root = Organisation.objects.get(depth=0)
    street = Organisation.objects.get(name="葛塘街道党工委")
    return {
        "root": root,
        "street": street,
        "other_street": Organisation.objects.get(name="泰山街道党工委"),
        "leader": factories.user("boss", Grant.Role.LEADER, root),
        "street_organiser": factories.user("street", Grant.Role.ORGANISER, street),
        "secretary": factories.user("sec", Grant.Role.SECRETARY, Organisation.objects.branches().filter(path__startswith=street.path).first()),
    }


def raw(organisation: Organisation) -> dict[str, int]:
    rows = Attendance.objects.filter(year=YEAR, attended=True, branch__path__startswith=organisation.path)
    return {"members_reached": rows.values("member").distinct().count(), "person_times": rows.count()}


def test_coverage_json_equals_raw_attendance_and_has_the_documented_shape(client, demo):
    client.force_login(demo["leader"])
    body = client.get(reverse("coverage_json"), {"year": YEAR}).json()
    for key in ["year", "scope", "members_total", "members_reached", "reach_rate", "person_times",
                "effective_members", "by_category", "by_channel", "by_programme", "children", "computed_at"]:
        assert key in body
    assert body["scope"]["id"] == demo["root"].pk
    assert {k: body[k] for k in ("members_reached", "person_times")} == raw(demo["root"])
    for child in body["children"]:
        assert {k: child[k] for k in ("members_reached", "person_times")} == raw(Organisation.objects.get(pk=child["id"]))
    for entry in body["by_channel"] + body["by_programme"] + body["by_category"]:
        assert {"person_times", "members_reached"} <= set(entry)
    assert sum(entry["person_times"] for entry in body["by_channel"]) == body["person_times"]


def test_scope_limits_coverage_json(client, demo):
    client.force_login(demo["street_organiser"])
    body = client.get(reverse("coverage_json"), {"year": YEAR}).json()
    assert body["scope"]["id"] == demo["street"].pk
    assert body["person_times"] == raw(demo["street"])["person_times"]
    assert client.get(reverse("coverage_json"), {"year": YEAR, "org": demo["other_street"].pk}).status_code == 404
    assert client.get(reverse("coverage_json"), {"year": YEAR, "org": demo["root"].pk}).status_code == 404
    client.force_login(demo["secretary"])  # secretaries read their branch on its own pages, not here
    assert client.get(reverse("coverage_json"), {"year": YEAR}).status_code == 403


def test_dashboard_shows_figures_and_drills_down(client, demo):
    client.force_login(demo["leader"])
    page = client.get(reverse("dashboard"), {"year": YEAR}).content.decode()
    assert f'data-figure="members_reached">{raw(demo["root"])["members_reached"]}<' in page
    drill = client.get(reverse("dashboard"), {"year": YEAR, "org": demo["street"].pk}).content.decode()
    assert f'data-figure="person_times">{raw(demo["street"])["person_times"]}<' in drill
    assert client.get(reverse("dashboard")).status_code == 200


def test_secretaries_do_not_get_the_dashboard(client, demo):
    client.force_login(demo["secretary"])
    assert client.get(reverse("dashboard")).status_code == 403


def test_dashboard_query_count_does_not_grow_with_data(client, demo):
    client.force_login(demo["leader"])
    client.get(reverse("dashboard"), {"year": YEAR})  # warm caches (content types, sessions)

    def count_queries() -> int:
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()  # the uncached rendering: the worst case
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("dashboard"), {"year": YEAR}).status_code == 200
        return len(context)

    before = count_queries()
    branch = Organisation.objects.branches().first()
    for number in range(40):
        member = factories.member(branch)
        session = factories.session(branch, title=f"加开{number}")
        factories.attendance(session, member)
    refresh_coverage(YEAR)
    refresh_coverage(session.starts_at.year)
    assert count_queries() == before <= 12


def test_not_reached_list_is_scoped_and_masked(client, demo):
    branch = Organisation.objects.branches().filter(path__startswith=demo["other_street"].path).first()
    client.force_login(demo["street_organiser"])
    assert client.get(reverse("not_reached", args=[branch.pk])).status_code == 404
    client.force_login(demo["leader"])
    page = client.get(reverse("not_reached", args=[branch.pk]), {"year": YEAR}).content.decode()
    unreached = branch.members.active().exclude(attendances__year=YEAR, attendances__attended=True)
    for member in unreached:
        assert member.name in page and member.masked_phone in page and member.phone not in page


def test_xlsx_export_matches_the_json(client, demo):
    client.force_login(demo["leader"])
    response = client.get(reverse("coverage_export"), {"year": YEAR})
    book = load_workbook(io.BytesIO(response.content))
    overview = book.worksheets[0]
    body = client.get(reverse("coverage_json"), {"year": YEAR}).json()
    assert overview["B6"].value == body["members_reached"] and overview["D6"].value == body["person_times"]
    assert len(book.worksheets) == 6


def test_summary_docx_contains_the_official_paragraph(client, demo):
    client.force_login(demo["leader"])
    response = client.get(reverse("coverage_summary_docx"), {"year": YEAR})
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = archive.read("word/document.xml").decode()
    assert "2025年度" in document and "基层党组织书记全覆盖进党校培训" in document


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(39514, "名", "近4万名"), (2150, "人次", "2100余人次"), (2199, "人次", "2100余人次"), (2100, "人次", "2100人次"),
     (38000, "名", "近4万名"), (37999, "名", "3.7万余名"), (506, "名", "500余名"), (9, "名", "9名"), (12082, "人次", "1.2万余人次")],
)
def test_official_numbers_round_the_official_way(value, unit, text):
    assert official_number(value, unit) == text


def test_refresh_runs_the_task_and_reports_progress(client, demo):
    client.force_login(demo["street_organiser"])
    response = client.post(reverse("coverage_refresh"), {"year": YEAR})
    run = CoverageRun.objects.get(requested_by=demo["street_organiser"])
    assert run.status == CoverageRun.Status.DONE and run.cells > 0  # eager Celery: done at once
    assert 'data-run-status="done"' in response.content.decode()
    status = client.get(reverse("coverage_refresh_status", args=[run.pk]))
    assert 'data-run-status="done"' in status.content.decode()


def test_the_queued_refresh_brings_the_dashboard_up_to_date(client, demo, django_capture_on_commit_callbacks):
    branch = Organisation.objects.branches().first()
    member = factories.member(branch)
    session = factories.session(branch, starts_at=Attendance.objects.filter(year=YEAR).first().session.starts_at)
    with django_capture_on_commit_callbacks(execute=True):
        factories.attendance(session, member)
        schedule_refresh([branch.pk], [YEAR])
    client.force_login(demo["leader"])
    body = client.get(reverse("coverage_json"), {"year": YEAR, "org": branch.pk}).json()
    assert body["person_times"] == raw(branch)["person_times"]


def test_json_is_utf8_chinese(client, demo):
    client.force_login(demo["leader"])
    response = client.get(reverse("coverage_json"), {"year": YEAR})
    assert json.loads(response.content)["scope"]["name"] == "江北新区党工委"


def test_the_cached_dashboard_reads_no_roll_up_rows(client, demo):
    """Once rendered, the body (figures, charts, computed-at) comes from the cache: no report is built."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(demo["leader"])
    first = client.get(reverse("dashboard"), {"year": YEAR}).text
    with CaptureQueriesContext(connection) as context:
        again = client.get(reverse("dashboard"), {"year": YEAR}).text
    tables = " ".join(query["sql"] for query in context.captured_queries)
    assert "training_coveragecell" not in tables and "training_programme" not in tables
    assert "data-computed-at" in again and again.count("data-figure") == first.count("data-figure")


def test_the_cached_dashboard_shows_new_figures_after_a_refresh(client, demo):
    client.force_login(demo["leader"])
    branch = Organisation.objects.branches().filter(path__startswith=demo["street"].path).first()
    url = reverse("dashboard")
    params = {"year": YEAR, "org": demo["street"].pk}
    assert f'data-figure="person_times">{raw(demo["street"])["person_times"]}<' in client.get(url, params).text
    session = Attendance.objects.filter(branch=branch, year=YEAR).first().session
    factories.attendance(factories.session(branch, starts_at=session.starts_at), factories.member(branch))
    refresh_coverage(YEAR, branch_ids=[branch.pk])
    assert f'data-figure="person_times">{raw(demo["street"])["person_times"]}<' in client.get(url, params).text


def test_a_recomputation_in_progress_shows_on_the_dashboard(client, demo):
    from training.coverage.reports import start_run

    client.force_login(demo["leader"])
    assert "data-run-status" not in client.get(reverse("dashboard"), {"year": YEAR}).text
    run = start_run(YEAR)
    assert 'data-run-status="queued"' in client.get(reverse("dashboard"), {"year": YEAR}).text
    from training.coverage.rollup import run_full_refresh

    run_full_refresh(run)
    assert "data-run-status" not in client.get(reverse("dashboard"), {"year": YEAR}).text
