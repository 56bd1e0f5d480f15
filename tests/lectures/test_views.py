"""The outreach pages through HTTP: ordering, dispatching, answering, recording; bad input in Chinese."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lectures import services
from lectures.models import Lecture, LecturePhoto, Lecturer, LectureRequest, RequestEvent, Scene
from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell
from training.programmes.models import Session

from .conftest import future, make_request

S = LectureRequest.State


def form_time(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (1200, 800), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_requester_orders_for_their_own_organisation(client_as, district, outreach):
    start = future(days=7)
    response = client_as("requester_a").post("/lectures/requests/new/", {
        "requester_kind": "community", "topic": "基层治理", "scene": Scene.COMMUNITY_SQUARE,
        "preferred_start": form_time(start), "preferred_end": form_time(start + timedelta(hours=2)),
        "expected_audience": "60", "dialect": "南京话",
    })
    request = LectureRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lectures/requests/{request.pk}/"
    assert request.requester == district.community_a and request.state == S.ORDERED
    assert request.events.get().to_state == S.ORDERED


def test_a_request_for_a_past_date_is_refused_in_chinese(client_as, outreach):
    start = future(days=-2)
    response = client_as("requester_a").post("/lectures/requests/new/", {
        "requester_kind": "community", "topic": "基层治理", "scene": Scene.FIELD,
        "preferred_start": form_time(start), "preferred_end": form_time(start + timedelta(hours=2)),
    })
    assert response.status_code == 200
    assert "期望日期已过，请选择今后的日期。" in response.content.decode()
    assert not LectureRequest.objects.exists()


def test_the_office_sees_suggestions_and_dispatches(client_as, district, outreach):
    request = make_request(district.community_a)
    client = client_as("organiser")
    page = client.get(f"/lectures/requests/{request.pk}/").content.decode()
    assert "推荐宣讲员" in page and "王讲师" in page and "主题对口" in page
    response = client.post(f"/lectures/requests/{request.pk}/dispatch/", {"lecturer": outreach.wang.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == S.DISPATCHED and request.lecturer == outreach.wang and request.dispatched_at


def test_dispatch_to_a_busy_lecturer_is_refused_and_nothing_changes(client_as, district, outreach):
    request = make_request(district.community_a)
    factories.session(district.root, starts_at=request.preferred_start, lecturer=outreach.wang)
    response = client_as("organiser").post(f"/lectures/requests/{request.pk}/dispatch/", {"lecturer": outreach.wang.pk})
    assert response.status_code == 400
    assert "王讲师该时段已有安排" in response.content.decode()
    request.refresh_from_db()
    assert request.state == S.ORDERED and request.lecturer is None and request.dispatched_at is None
    assert not RequestEvent.objects.exists()


def test_lecturer_accepts_then_records_the_lecture_with_headcount_and_photo(client_as, district, outreach, settings):
    request = make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.wang, start=future(days=-1))
    client = client_as("lecturer")
    assert "您是否接受这场宣讲" in client.get(f"/lectures/requests/{request.pk}/").content.decode()
    assert client.post(f"/lectures/requests/{request.pk}/accept/").status_code == 302
    request.refresh_from_db()
    assert request.state == S.ACCEPTED and request.answered_at
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client.post(f"/lectures/new/?request={request.pk}", {
        "topic": request.topic, "scene": request.scene, "location": "甲社区广场",
        "starts_at": form_time(request.preferred_start), "ends_at": form_time(request.preferred_end),
        "audience_headcount": "85", "dialect": "南京话", "photos": [photo],
    })
    lecture = Lecture.objects.get()
    assert response.status_code == 302, response.content.decode()
    assert lecture.audience_headcount == 85 and lecture.street == district.street_a
    assert list(lecture.lecturers.all()) == [outreach.wang]
    request.refresh_from_db()
    assert request.state == S.DELIVERED
    stored = LecturePhoto.objects.get(lecture=lecture)
    assert "IMG_0001" not in stored.image.name  # generated names
    with Image.open(stored.image.path) as image:
        assert image.format == "JPEG" and not image.getexif()  # EXIF stripped by re-encoding
    with Image.open(stored.thumbnail.path) as thumb:
        assert max(thumb.size) <= 400


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("audience_headcount", "-5", "听众人数不能为负数。"),
        ("photos", "not-an-image", "该文件不是图片，请上传JPEG、PNG或WebP格式的照片。"),
    ],
)
def test_bad_lecture_input_is_refused_and_nothing_is_half_saved(client_as, district, outreach, field, value, message):
    start = future(days=-3)
    data = {
        "topic": "乡村振兴惠民政策", "lecturers": [outreach.li.pk], "scene": Scene.FIELD, "street": district.street_a.pk,
        "location": "草莓大棚", "starts_at": form_time(start), "ends_at": form_time(start + timedelta(hours=1)),
        "audience_headcount": "40",
    }
    if field == "photos":
        data["photos"] = [SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")]
    else:
        data[field] = value
    response = client_as("organiser").post("/lectures/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Lecture.objects.exists() and not LecturePhoto.objects.exists()


def test_a_lecturer_who_is_busy_cannot_be_put_on_a_lecture(client_as, district, outreach):
    start = future(days=-5)
    factories.session(district.root, starts_at=start, lecturer=outreach.li)
    response = client_as("organiser").post("/lectures/new/", {
        "topic": "科技自立自强", "lecturers": [outreach.li.pk], "scene": Scene.WORKSHOP, "street": district.street_a.pk,
        "location": "车间", "starts_at": form_time(start), "ends_at": form_time(start + timedelta(hours=1)),
        "audience_headcount": "30",
    })
    assert "李讲师该时段已有安排" in response.content.decode()
    assert not Lecture.objects.exists()


def test_members_present_are_written_as_training_attendance(client_as, district, outreach, django_capture_on_commit_callbacks):
    start = future(days=-3)
    lecture = Lecture.objects.create(
        topic="基层治理", scene=Scene.COMMUNITY_SQUARE, street=district.street_a, location="广场",
        starts_at=start, ends_at=start + timedelta(minutes=90), audience_headcount=100,
    )
    lecture.lecturers.add(outreach.wang)
    client = client_as("organiser")
    numbers = f"{district.member_a1.member_number}\n{district.member_a2.member_number}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lectures/{lecture.pk}/members/", {"member_numbers": numbers})
    assert response.status_code == 302
    lecture.refresh_from_db()
    session = lecture.session
    assert session.programme.name == "理论宣讲" and session.hours == 1.5
    rows = Attendance.objects.filter(session=session)
    assert {row.member_id for row in rows} == {district.member_a1.pk, district.member_a2.pk}
    # The coverage roll-up ran after commit and counts the lecture under the 理论宣讲 programme.
    cell = CoverageCell.objects.get(
        year=rows[0].year, organisation=district.branch_a1, category="", programme_key=session.programme_id,
        channel="", month=0,
    )
    assert cell.person_times == 1
    assert all(row.attended and row.branch_id == row.member.branch_id and row.credited_hours == 1.5 for row in rows)
    # Recording the same members again adds nothing; a member outside the organiser's street is refused.
    client.post(f"/lectures/{lecture.pk}/members/", {"member_numbers": numbers})
    assert Attendance.objects.filter(session=session).count() == 2
    response = client.post(f"/lectures/{lecture.pk}/members/", {"member_numbers": district.member_b1.member_number})
    assert response.status_code == 400 and "不在您的组织范围内" in response.content.decode()
    assert Attendance.objects.filter(session=session).count() == 2
    # The lecture's attendance session does not make the lecturer busy twice over.
    assert Session.objects.filter(lecturer=outreach.wang).count() == 1


def test_volunteer_service_recorded_and_summarised_by_street(client_as, district):
    client = client_as("organiser")
    response = client.post("/lectures/volunteering/new/", {
        "kind": "grid_governance", "member": district.member_a1.member_number, "street": district.street_a.pk,
        "date": "2025-06-01", "hours": "2.5", "beneficiaries": "12",
    })
    assert response.status_code == 302
    client.post("/lectures/volunteering/new/", {
        "kind": "convenience", "team_name": "党员先锋队", "street": district.street_a.pk,
        "date": "2025-06-02", "hours": "3", "beneficiaries": "20",
    })
    bad = client.post("/lectures/volunteering/new/", {
        "kind": "convenience", "street": district.street_a.pk, "date": "2025-06-02", "hours": "-1", "beneficiaries": "2",
    })
    assert "时长须大于零" in bad.content.decode() and "请填写党员编号或团队名称" in bad.content.decode()
    page = client.get("/lectures/volunteering/").content.decode()
    assert "甲街道党工委" in page and "5.5" in page and "32" in page


def test_organiser_edits_a_lecture_and_its_headcount(client_as, district, outreach):
    start = future(days=-3)
    lecture = Lecture.objects.create(
        topic="旧主题", scene=Scene.FIELD, street=district.street_a, location="田头",
        starts_at=start, ends_at=start + timedelta(hours=1), audience_headcount=10,
    )
    lecture.lecturers.add(outreach.li)
    client = client_as("organiser")
    data = {
        "topic": "新主题", "lecturers": [outreach.li.pk], "scene": Scene.FIELD, "street": district.street_a.pk,
        "location": "田头", "starts_at": form_time(start), "ends_at": form_time(start + timedelta(hours=1)),
        "audience_headcount": "-1",
    }
    assert "听众人数不能为负数。" in client.post(f"/lectures/{lecture.pk}/edit/", data).content.decode()
    lecture.refresh_from_db()
    assert (lecture.topic, lecture.audience_headcount) == ("旧主题", 10)
    data["audience_headcount"] = "66"
    assert client.post(f"/lectures/{lecture.pk}/edit/", data).status_code == 302
    lecture.refresh_from_db()
    assert (lecture.topic, lecture.audience_headcount) == ("新主题", 66)
    # Once members are recorded, the time is fixed and the lecture cannot be deleted.
    services.record_lecture_members(lecture, [district.member_a1], None)
    data["starts_at"] = form_time(start - timedelta(hours=2))
    assert "已登记到场党员，不能再修改时间。" in client.post(f"/lectures/{lecture.pk}/edit/", data).content.decode()
    client.post(f"/lectures/{lecture.pk}/delete/")
    assert Lecture.objects.filter(pk=lecture.pk).exists()


def test_organiser_deletes_a_lecture_recorded_by_mistake(client_as, district, outreach):
    start = future(days=-3)
    lecture = Lecture.objects.create(
        topic="误录", scene=Scene.FIELD, street=district.street_a, location="田头",
        starts_at=start, ends_at=start + timedelta(hours=1),
    )
    assert client_as("lecturer").post(f"/lectures/{lecture.pk}/delete/").status_code in (403, 404)
    assert client_as("organiser").post(f"/lectures/{lecture.pk}/delete/").status_code == 302
    assert not Lecture.objects.filter(pk=lecture.pk).exists()


def test_office_adds_a_lecturer_with_a_photo_and_a_lecturer_edits_their_own_profile(client_as, district, outreach):
    photo = SimpleUploadedFile("portrait.png", jpeg_with_exif(), content_type="image/png")
    # 甲街道's organiser keeps 甲街道's lecturers.
    response = client_as("organiser").post("/lectures/lecturers/new/", {
        "name": "孙讲师", "kind": "entrepreneur", "topics": "科技自立自强", "dialects": "普通话", "in_baiqianwan": "on",
        "is_active": "on", "new_photo": photo, "street": district.street_a.pk,
    })
    assert response.status_code == 302
    sun = Lecturer.objects.get(name="孙讲师")
    assert sun.in_baiqianwan and sun.photo.name.endswith(".jpg") and "portrait" not in sun.photo.name
    bad = client_as("organiser").post("/lectures/lecturers/new/", {
        "name": "钱讲师", "kind": "entrepreneur", "street": district.street_a.pk,
        "new_photo": SimpleUploadedFile("x.jpg", b"GIF89a-not", content_type="image/jpeg"),
    })
    assert "该文件不是图片" in bad.content.decode() and not Lecturer.objects.filter(name="钱讲师").exists()
    client = client_as("lecturer")
    assert client.post(f"/lectures/lecturers/{outreach.wang.pk}/edit/", {
        "topics": "基层治理", "dialects": "普通话、六合话", "bio": "", "phone": "",
    }).status_code == 302
    outreach.wang.refresh_from_db()
    assert outreach.wang.dialects == "普通话、六合话" and not outreach.wang.is_active  # unchecked: unavailable
    assert outreach.wang.in_baiqianwan  # not theirs to change
    assert client.get(f"/lectures/lecturers/{outreach.li.pk}/edit/").status_code == 403


def test_landing_page_tells_the_lecturer_and_the_office_what_waits_for_them(client_as, district, outreach):
    make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.wang)
    make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.li, start=future(days=20))
    make_request(district.community_a, start=future(days=30))
    assert "有1条宣讲点单等待您答复" in client_as("lecturer").get("/lectures/").content.decode()
    assert "有1条宣讲点单等待派单" in client_as("organiser").get("/lectures/").content.decode()


def test_lecturer_edit_form_never_shows_the_full_phone(client_as, district, outreach):
    lecturer = outreach.wang
    lecturer.phone = "13912345678"
    lecturer.street = district.street_a  # one of the organiser's street's lecturers
    lecturer.save(update_fields=["phone", "street"])
    client = client_as("organiser")
    page = client.get(f"/lectures/lecturers/{lecturer.pk}/edit/").text
    assert "13912345678" not in page and "139****5678" in page


def test_once_an_accepted_lecture_is_due_only_the_office_may_cancel_it(client_as, district, outreach):
    from django.utils import timezone

    due = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang,
                       start=timezone.now() - timedelta(hours=1))
    requester = client_as("requester_a")
    page = requester.get(f"/lectures/requests/{due.pk}/")
    assert f"/lectures/requests/{due.pk}/cancel/" not in page.text
    response = requester.post(f"/lectures/requests/{due.pk}/cancel/", {"reason": "忘了"}, follow=True)
    assert "讲座时间已到" in response.text
    due.refresh_from_db()
    assert due.state == S.ACCEPTED
    # A future accepted lecture the requester may still call off; the office may cancel either.
    upcoming = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.li)
    requester.post(f"/lectures/requests/{upcoming.pk}/cancel/", {"reason": "改期"})
    upcoming.refresh_from_db()
    assert upcoming.state == S.CANCELLED
    client_as("organiser").post(f"/lectures/requests/{due.pk}/cancel/", {"reason": "讲师因病未能到场"})
    due.refresh_from_db()
    assert due.state == S.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_cancelling_locks_and_records_the_request_in_one_transaction(client_as, district, outreach):
    """Outside a test transaction, as in production: the state change takes its row lock."""
    request = make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.wang)
    client_as("requester_a").post(f"/lectures/requests/{request.pk}/cancel/", {"reason": "改期"})
    request.refresh_from_db()
    assert request.state == S.CANCELLED
    assert RequestEvent.objects.filter(request=request, to_state=S.CANCELLED).count() == 1
