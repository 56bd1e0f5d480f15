"""E-mails to lecturers and requesters about their lecture requests (console backend by default)."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiangbei.templatetags.jiangbei_tags import cn_datetime
from lectures.models import Lecture, LectureRequest
from training.organisation.models import Grant

SUBJECTS = {
    "ordered": gettext_noop("A lecture has been ordered"),
    "dispatched": gettext_noop("A lecture request has been dispatched"),
    "accepted": gettext_noop("A lecture request has been accepted"),
    "declined": gettext_noop("A lecture request has been declined"),
    "delivered": gettext_noop("A lecture has been delivered"),
    "cancelled": gettext_noop("A lecture request has been cancelled"),
    "reminder": gettext_noop("Reminder: a lecture is coming up"),
}


def recipients(request: LectureRequest) -> list[str]:
    """The dispatched lecturer's and the requesting organisation's requesters' addresses."""
    addresses = list(
        Grant.objects.filter(role=Grant.Role.REQUESTER, organisation=request.requester)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if request.lecturer_id and request.lecturer.user_id and request.lecturer.user.email:
        addresses.append(request.lecturer.user.email)
    return sorted(set(addresses))


def notify_request_change(request_id: int, state: str) -> int:
    request = LectureRequest.objects.select_related("requester", "lecturer__user").filter(pk=request_id).first()
    if request is None:
        return 0
    to = recipients(request)
    if not to:
        return 0
    # Once delivered, the time the lecture was actually given, not the time first asked for.
    lecture = Lecture.objects.filter(request=request).only("starts_at").first()
    when = lecture.starts_at if lecture is not None else request.preferred_start
    with translation.override(settings.LANGUAGE_CODE):
        subject = _(SUBJECTS.get(state, SUBJECTS["reminder"]))
        body = _("%(topic)s — %(requester)s, %(when)s. Lecturer: %(lecturer)s. State: %(state)s.") % {
            "topic": request.topic,
            "requester": request.requester.name,
            "when": cn_datetime(when),
            "lecturer": request.lecturer.name if request.lecturer_id else "—",
            "state": request.get_state_display(),
        }
    return send_mail(subject, body, None, to)
