"""The branch ledger (台账): attendance, hours and meetings for a period, as rows and as xlsx."""

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from jiangbei.spreadsheets import safe_cell
from training.attendance.models import Attendance
from training.attendance.orglife import ORG_LIFE_KINDS
from training.organisation.models import Member, Organisation
from training.programmes.models import Session


@dataclass
class Ledger:
    branch: Organisation
    start: date
    end: date
    attendances: list
    members: list
    meetings: list


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def build(branch: Organisation, start: date, end: date) -> Ledger:
    since, until = _bounds(start, end)
    in_period = Q(attendances__session__starts_at__gte=since, attendances__session__starts_at__lt=until)
    attendances = list(
        Attendance.objects.filter(branch=branch, session__starts_at__gte=since, session__starts_at__lt=until)
        .select_related("member", "session__course")
        .order_by("session__starts_at", "session_id", "member__member_number")
    )
    members = list(
        Member.objects.filter(branch=branch)
        .active()
        .annotate(
            period_hours=Sum("attendances__credited_hours", filter=in_period),
            period_attended=Count("attendances", filter=in_period & Q(attendances__attended=True)),
        )
        .order_by("member_number")
    )
    meetings = list(
        Session.objects.filter(organiser=branch, kind__in=ORG_LIFE_KINDS, starts_at__gte=since, starts_at__lt=until)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("course")
        .annotate(attended_total=Count("attendances", filter=Q(attendances__attended=True)))
        .order_by("starts_at")
    )
    return Ledger(branch, start, end, attendances, members, meetings)


def to_xlsx(ledger: Ledger) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)

    def sheet(title: str, header: list[str], rows) -> None:
        ws = workbook.create_sheet(title)
        ws.append([safe_cell(f"{ledger.branch.name} {title}（{ledger.start:%Y-%m-%d} 至 {ledger.end:%Y-%m-%d}）")])
        ws.append(header)
        for row in rows:
            ws.append([safe_cell(value) for value in row])

    def local(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

    sheet("参学记录", ["日期", "活动", "类型", "党员编号", "姓名", "状态", "方式", "分钟", "学时"], (
        [local(a.session.starts_at), a.session.display_title, a.session.get_kind_display(), a.member.member_number,
         a.member.name, a.get_status_display(), a.get_channel_display(), a.minutes, float(a.credited_hours)]
        for a in ledger.attendances
    ))
    sheet("学时汇总", ["党员编号", "姓名", "职务", "参学次数", "学时"], (
        [m.member_number, m.name, m.get_position_display(), m.period_attended, float(m.period_hours or 0)]
        for m in ledger.members
    ))
    sheet("组织生活", ["日期", "类型", "主题", "第一议题", "形式", "参加人数", "学时", "纪要"], (
        [local(s.starts_at), s.get_kind_display(), s.display_title, s.first_topic, s.get_first_topic_format_display(),
         s.attended_total, float(s.hours), s.summary]
        for s in ledger.meetings
    ))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
