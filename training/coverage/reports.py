"""Coverage reports read from the roll-up rows only: a constant number of queries.

``coverage_report`` is the one reader behind the dashboard, ``/reports/coverage.json``, the
xlsx export and the annual summary.
"""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from xml.sax.saxutils import escape

from django.core.cache import cache
from django.utils.translation import gettext as _

from jiangbei.spreadsheets import safe_cell
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell
from training.coverage.rollup import METRICS
from training.coverage.runs import (  # noqa: F401
    active_run,
    bump_coverage_version,
    coverage_version,
    end_run,
    start_run,
)
from training.organisation.models import Category, Organisation
from training.programmes.models import Programme

# Channel groups shown on the headline cards.
OFFLINE = ("roster", "qr", "home")
LIVE = ("live", "import")
REPLAY = ("replay", "makeup")


@dataclass
class Figures:
    members_total: int = 0
    members_reached: int = 0
    person_times: int = 0
    effective_members: int = 0
    exempt_members: int = 0
    leaders_trained: int = 0

    @classmethod
    def of(cls, cell: CoverageCell | tuple | None) -> "Figures":
        """From a cell, or from a tuple of the metrics in ``METRICS`` order."""
        if cell is None:
            return cls()
        if isinstance(cell, tuple):
            return cls(*cell)
        return cls(
            cell.members_total, cell.members_reached, cell.person_times, cell.effective_members,
            cell.exempt_members, cell.leaders_trained,
        )

    @property
    def reach_rate(self) -> float:
        return round(self.members_reached / self.members_total, 4) if self.members_total else 0.0

    @property
    def not_reached(self) -> int:
        return max(self.members_total - self.members_reached, 0)

    @property
    def effective_rate(self) -> float:
        required = self.members_total - self.exempt_members
        return round(self.effective_members / required, 4) if required > 0 else 0.0


@dataclass
class CoverageReport:
    year: int
    organisation: Organisation
    category: str
    programme: Programme | None
    headline: Figures
    by_category: list[tuple[str, str, Figures]]
    by_programme: list[tuple[Programme, Figures]]
    by_channel: list[tuple[str, str, Figures]]
    by_month: list[tuple[int, Figures]]
    children: list[tuple[Organisation, Figures]]
    computed_at: datetime | None
    secretary_person_times: int = 0
    channel_groups: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        def figures(f: Figures) -> dict:
            return {"members_total": f.members_total, "members_reached": f.members_reached,
                    "reach_rate": f.reach_rate, "person_times": f.person_times,
                    "effective_members": f.effective_members, "exempt_members": f.exempt_members}

        return {
            "year": self.year,
            "scope": {"id": self.organisation.pk, "name": self.organisation.name, "kind": self.organisation.kind},
            "category": self.category or None,
            "programme": self.programme.pk if self.programme else None,
            **figures(self.headline),
            "leaders_trained": self.headline.leaders_trained,
            "secretary_person_times": self.secretary_person_times,
            "by_category": [{"category": code, "label": label, **figures(f)} for code, label, f in self.by_category],
            "by_channel": [
                {"channel": code, "label": label, "person_times": f.person_times, "members_reached": f.members_reached}
                for code, label, f in self.by_channel
            ],
            "by_programme": [
                {"id": p.pk, "name": p.name, "person_times": f.person_times, "members_reached": f.members_reached}
                for p, f in self.by_programme
            ],
            "by_month": [{"month": m, "person_times": f.person_times, "members_reached": f.members_reached}
                         for m, f in self.by_month],
            "children": [{"id": org.pk, "name": org.name, "kind": org.kind, **figures(f)} for org, f in self.children],
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


def default_year() -> int:
    """The year dashboards open on (re-read every few minutes, not on every page view)."""
    return cache.get_or_set("coverage-default-year", Attendance.objects.report_year, 300)


def available_years(current: int) -> list[int]:
    """Years that have programmes (a small table), and the year on show."""
    years = set(Programme.objects.values_list("year", flat=True).distinct())
    return sorted(years | {current}, reverse=True)


def coverage_report(year: int, organisation: Organisation, category: str = "", programme: Programme | None = None) -> CoverageReport:
    """Everything the dashboard shows for one organisation, from two roll-up queries."""
    programme_key = programme.pk if programme else 0
    own = CoverageCell.objects.filter(year=year, organisation=organisation).values_list(
        "category", "programme_key", "channel", "month", "computed_at", *METRICS
    )
    child_organisations = {org.pk: org for org in organisation.children.order_by("path")}
    child_cells = {
        cell.organisation_id: cell
        for cell in CoverageCell.objects.filter(
            year=year, organisation_id__in=list(child_organisations), category=category,
            programme_key=programme_key, channel="", month=0,
        )
    }
    programmes = {p.pk: p for p in Programme.objects.filter(year=year).order_by("kind", "name")}
    cell, computed_at = {}, None
    for category_key, programme_value, channel, month, at, *metrics in own:
        cell[(category_key, programme_value, channel, month)] = tuple(metrics)
        computed_at = max(computed_at, at) if computed_at else at

    headline = Figures.of(cell.get((category, programme_key, "", 0)))
    if programme is not None:  # programme cells carry no register figures: take them from the headline
        scope_cell = Figures.of(cell.get((category, 0, "", 0)))
        headline.members_total, headline.exempt_members = scope_cell.members_total, scope_cell.exempt_members
    channels = {key[2]: Figures.of(metrics) for key, metrics in cell.items() if key[2] and key[0] == ""}
    labels = dict(Attendance.Channel.choices)
    secretary_ids = [pk for pk, p in programmes.items() if p.kind == Programme.Kind.SECRETARY_TRAINING]
    return CoverageReport(
        year=year,
        organisation=organisation,
        category=category,
        programme=programme,
        headline=headline,
        by_category=[
            (code, str(label), Figures.of(cell.get((code, programme_key, "", 0))))
            for code, label in Category.choices
        ],
        by_programme=[
            (p, Figures.of(cell.get((category, pk, "", 0))))
            for pk, p in programmes.items()
        ],
        by_channel=[(code, str(labels[code]), channels.get(code, Figures())) for code in Attendance.Channel.values],
        by_month=[(month, Figures.of(cell.get(("", 0, "", month)))) for month in range(1, 13)],
        children=[(org, Figures.of(child_cells[pk])) for pk, org in child_organisations.items() if pk in child_cells],
        computed_at=computed_at,
        secretary_person_times=sum(Figures.of(cell.get(("", pk, "", 0))).person_times for pk in secretary_ids),
        channel_groups={
            "offline": sum(channels.get(c, Figures()).person_times for c in OFFLINE),
            "live": sum(channels.get(c, Figures()).person_times for c in LIVE),
            "replay": sum(channels.get(c, Figures()).person_times for c in REPLAY),
        },
    )


# --- official phrasing -------------------------------------------------------------------


def official_number(value: int, unit: str) -> str:
    """The official way to say a count: 近 rounds up, 余 rounds down (DOMAIN.md).

    "近" when the value is within 5% below a one-digit round number (39,514 → 近4万);
    otherwise two significant digits and "余" (2,150 → 2100余); exact round numbers as they are.
    """
    if value < 10:
        return f"{value}{unit}"
    magnitude = Decimal(10) ** (len(str(value)) - 1)
    up = (Decimal(value) / magnitude).to_integral_value(ROUND_CEILING) * magnitude
    if up != value and value >= up * Decimal("0.95"):
        return f"近{_wan(up)}{unit}"
    down = (Decimal(value) / (magnitude / 10)).to_integral_value(ROUND_FLOOR) * (magnitude / 10)
    if down == value:
        return f"{_wan(down)}{unit}"
    return f"{_wan(down)}余{unit}"


def _wan(number: Decimal) -> str:
    if number >= 10000:
        return f"{(number / 10000).normalize():f}万"
    return f"{int(number)}"


def annual_summary(report: CoverageReport) -> str:
    """A paragraph in the article's official style, from the roll-up figures."""
    h = report.headline
    name = report.organisation.name.removesuffix("党工委").removesuffix("党委")
    parts = [f"{report.year}年度，{name}"]
    if report.secretary_person_times:
        parts.append(
            f"全面开展基层党组织书记全覆盖进党校培训，累计参训{official_number(report.secretary_person_times, '人次')}。"
            "同步采取“线上+线下”等方法开展培训，"
        )
    else:
        parts.append("采取“线上+线下”等方法开展党员教育培训，")
    parts.append(f"覆盖党员{official_number(h.members_reached, '名')}，累计参训{official_number(h.person_times, '人次')}")
    if h.members_total:
        parts.append(f"，覆盖率{h.reach_rate:.1%}")
    if h.effective_members:
        parts.append(f"；年度学时达标党员{official_number(h.effective_members, '名')}，有效覆盖率{h.effective_rate:.1%}")
    parts.append("。")
    return "".join(parts)


# --- exports -------------------------------------------------------------------------------




def coverage_xlsx(report: CoverageReport) -> bytes:
    from openpyxl import Workbook

    def figure_columns() -> list[str]:
        return [_("Members"), _("Members reached"), _("Reach rate"), _("Person-times"),
                _("Effective members"), _("Exempt members")]

    def figure_values(f: Figures) -> list:
        return [f.members_total, f.members_reached, f.reach_rate, f.person_times, f.effective_members,
                f.exempt_members]

    book = Workbook()
    sheet = book.active
    sheet.title = _("Overview")
    sheet.append([_("Year"), report.year])
    sheet.append([_("Organisation"), safe_cell(report.organisation.name)])
    sheet.append([_("Computed at"), report.computed_at.strftime("%Y-%m-%d %H:%M") if report.computed_at else ""])
    sheet.append([])
    sheet.append(figure_columns())
    sheet.append(figure_values(report.headline))
    sheet.append([])
    sheet.append([_("Annual summary"), annual_summary(report)])
    for title, heading, rows in (
        (_("By category"), _("Category"), [(label, f) for _code, label, f in report.by_category]),
        (_("By sub-organisation"), _("Organisation"), [(org.name, f) for org, f in report.children]),
    ):
        table = book.create_sheet(title)
        table.append([heading, *figure_columns()])
        for label, f in rows:
            table.append([safe_cell(label), *figure_values(f)])
    for title, heading, rows in (
        (_("By programme"), _("Programme"), [(p.name, f) for p, f in report.by_programme]),
        (_("By channel"), _("Channel"), [(label, f) for _code, label, f in report.by_channel]),
        (_("By month"), _("Month"), [(f"{month}月", f) for month, f in report.by_month]),
    ):
        table = book.create_sheet(title)
        table.append([heading, _("Person-times"), _("Members reached")])
        for label, f in rows:
            table.append([safe_cell(label), f.person_times, f.members_reached])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def summary_docx(title: str, paragraph: str) -> bytes:
    """A minimal WordprocessingML document: a title and one paragraph."""
    def run(text: str, size: int, bold: bool = False) -> str:
        props = f'<w:rPr><w:rFonts w:eastAsia="SimSun"/>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
        return f'<w:p><w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'

    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        f"{run(title, 36, bold=True)}{run(paragraph, 28)}"
        "</w:body></w:document>"
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", relationships)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()
