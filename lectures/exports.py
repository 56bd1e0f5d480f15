"""The outreach report as an xlsx workbook (one sheet per table)."""

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from jiangbei.spreadsheets import safe_cell


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_cell(str(cell)) for cell in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18


def report_workbook(figures: dict) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    lectures, audience = _("Lectures"), _("Audience reached")
    _sheet(workbook, _("Summary"), [_("Figure"), _("Value")], [
        [_("Year"), figures["year"]],
        [lectures, figures["lectures"]],
        [audience, figures["audience"]],
        [_("Volunteer services"), figures["volunteer"]["count"]],
        [_("Volunteer hours"), float(figures["volunteer"]["hours"])],
        [_("Beneficiaries"), figures["volunteer"]["beneficiaries"]],
        [_("百千万 backbones"), figures["baiqianwan"]["backbones"]],
        [_("百千万 target"), figures["baiqianwan"]["target"]],
    ])
    _sheet(workbook, _("By scene"), [_("Scene"), lectures, audience],
           [[r["scene"], r["lectures"], r["audience"]] for r in figures["by_scene"]])
    _sheet(workbook, _("By street"), [_("Street or park"), lectures, audience],
           [[r["street"], r["lectures"], r["audience"]] for r in figures["by_street"]])
    _sheet(workbook, _("By month"), [_("Month"), lectures, audience],
           [[r["month"], r["lectures"], r["audience"]] for r in figures["by_month"]])
    _sheet(workbook, _("Lecturer activity"), [pgettext("outreach", "Lecturer"), lectures, audience],
           [[r["lecturer"], r["lectures"], r["audience"]] for r in figures["by_lecturer"]])
    _sheet(workbook, _("Volunteer services"), [_("Street or park"), _("Services"), _("Hours"), _("Beneficiaries")],
           [[r["street"], r["count"], float(r["hours"] or 0), r["beneficiaries"] or 0] for r in figures["volunteer_by_street"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
