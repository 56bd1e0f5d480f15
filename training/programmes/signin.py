"""The printable sign-in sheet (签到表) of an offline session, grouped by branch."""

from __future__ import annotations

from io import BytesIO
from itertools import groupby

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jiangbei.spreadsheets import safe_cell
from training.organisation.models import Member
from training.programmes.models import Session


def sheet_members(session: Session, visible) -> list[Member]:
    """Enrolled members holding a place; for a branch's own meeting with no enrolment, its members."""
    members = visible.filter(enrolments__session=session, enrolments__waitlist_position__isnull=True)
    if not members.exists() and session.organiser.is_branch:
        members = visible.active().filter(branch=session.organiser)
    return list(members.select_related("branch").order_by("branch__path", "name", "member_number"))


def grouped(members: list[Member]) -> list[tuple[object, list[Member]]]:
    return [(branch, list(rows)) for branch, rows in groupby(members, key=lambda m: m.branch)]


def workbook(session: Session, members: list[Member]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    book = Workbook()
    sheet = book.active
    sheet.title = _("Sign-in sheet")[:31]
    when = date_format(timezone.localtime(session.starts_at), "Y年n月j日 H:i")
    place = session.venue.name if session.venue else ""
    sheet.append([safe_cell(session.display_title)])
    sheet.append([safe_cell(f"{when}  {place}")])
    sheet["A1"].font = Font(size=14, bold=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for branch, rows in grouped(members):
        sheet.append([])
        sheet.append([safe_cell(branch.name)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append([_("No."), _("Name"), _("Member number"), _("Signature"), _("Notes")])
        for cell in sheet[sheet.max_row]:
            cell.font, cell.border = Font(bold=True), border
        for index, member in enumerate(rows, start=1):
            sheet.append([index, safe_cell(member.name), safe_cell(member.member_number), "", ""])
            for cell in sheet[sheet.max_row]:
                cell.border = border
                cell.alignment = Alignment(vertical="center")
            sheet.row_dimensions[sheet.max_row].height = 28
    for column, width in zip("ABCDE", (6, 14, 16, 24, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "portrait"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
