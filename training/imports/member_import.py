"""Member register import from the national member-management system's xlsx export.

Runs in the import pipeline (``pipeline``): ``validate_job`` reads and checks every row and
keeps the preview on the job (nothing is written); ``commit_job`` checks again and writes the
whole file in one transaction (``apply``). Rows are keyed by 党员编号, so importing the same
file again changes nothing; a new branch is a transfer (recorded in ``MemberTransfer``, the
member's attendance follows them) and a new status is an update.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiangbei.parsing import cell_text, parse_date
from training.imports.models import ImportJob
from training.organisation.audit import audit
from training.organisation.models import (
    AuditEntry,
    Category,
    Member,
    MemberTransfer,
    NewSectorSubtype,
    Organisation,
)
from training.organisation.signals import members_changed

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 60_000

COLUMNS = {
    "name": "姓名", "gender": "性别", "birth_date": "出生日期", "branch": "所在支部", "category": "人员类别",
    "position": "党内职务", "joined_on": "入党日期", "phone": "联系电话", "status": "党籍状态",
    "member_number": "党员编号", "is_mobile": "流动党员", "is_elderly": "年老体弱", "is_backbone": "骨干党员",
}
REQUIRED = ("name", "gender", "branch", "category", "member_number")

GENDERS = {"男": Member.Gender.MALE, "女": Member.Gender.FEMALE}
CATEGORIES = {
    "机关": (Category.ORGAN, ""), "社区": (Category.COMMUNITY, ""), "村": (Category.COMMUNITY, ""),
    "社区(村)": (Category.COMMUNITY, ""), "社区（村）": (Category.COMMUNITY, ""),
    "国有企业": (Category.SOE, ""), "国企": (Category.SOE, ""),
    "两企三新": (Category.NEW_SECTOR, ""),
    "混合所有制企业": (Category.NEW_SECTOR, NewSectorSubtype.MIXED_OWNERSHIP),
    "非公有制企业": (Category.NEW_SECTOR, NewSectorSubtype.NON_PUBLIC),
    "新经济组织": (Category.NEW_SECTOR, NewSectorSubtype.NEW_ECONOMIC),
    "新社会组织": (Category.NEW_SECTOR, NewSectorSubtype.NEW_SOCIAL),
    "新就业群体": (Category.NEW_SECTOR, NewSectorSubtype.NEW_EMPLOYMENT),
}
POSITIONS = {
    "": Member.Position.MEMBER, "党员": Member.Position.MEMBER, "无": Member.Position.MEMBER,
    "书记": Member.Position.SECRETARY, "支部书记": Member.Position.SECRETARY,
    "副书记": Member.Position.DEPUTY_SECRETARY, "支部副书记": Member.Position.DEPUTY_SECRETARY,
    "委员": Member.Position.COMMITTEE, "支委委员": Member.Position.COMMITTEE, "组织委员": Member.Position.COMMITTEE,
    "宣传委员": Member.Position.COMMITTEE, "纪检委员": Member.Position.COMMITTEE,
}
STATUSES = {
    "": Member.Status.ACTIVE, "正常": Member.Status.ACTIVE, "正式党员": Member.Status.ACTIVE,
    "预备党员": Member.Status.PROBATIONARY, "已转出": Member.Status.TRANSFERRED_OUT,
    "转出": Member.Status.TRANSFERRED_OUT, "死亡": Member.Status.DECEASED, "去世": Member.Status.DECEASED,
}
YES = {"是", "Y", "y", "1", "√"}
NO = {"", "否", "N", "n", "0"}
FIELDS = ("name", "gender", "birth_date", "branch_id", "category", "new_sector_subtype", "position", "joined_on",
          "phone", "status", "is_mobile", "is_elderly", "is_backbone")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Preview:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    transferred: int = 0
    status_changed: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def check_upload(upload) -> None:
    if upload.size > MAX_BYTES:
        raise ValidationError(gettext_lazy("The file is larger than 5 MB."))
    if not upload.name.lower().endswith(".xlsx"):
        raise ValidationError(gettext_lazy("Upload the .xlsx file exported from the member-management system."))
    upload.seek(0)
    if not zipfile.is_zipfile(upload):
        raise ValidationError(gettext_lazy("The file is not a valid .xlsx workbook."))
    upload.seek(0)


def _flag(value, column: str, errors: list, row: int) -> bool:
    text = cell_text(value)
    if text in YES:
        return True
    if text not in NO:
        errors.append(RowError(row, column, _("Write 是 or 否.")))
    return False


def read_rows(upload):
    """Yield (row number, {field: cell}) from the first sheet; header names locate the columns."""
    from openpyxl import load_workbook

    upload.seek(0)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(gettext_lazy("The file is not a valid .xlsx workbook.")) from error
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [cell_text(cell) for cell in next(rows, ())]
    positions = {key: header.index(label) for key, label in COLUMNS.items() if label in header}
    missing = [COLUMNS[key] for key in REQUIRED if key not in positions]
    if missing:
        workbook.close()
        raise ValidationError(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    for number, cells in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            workbook.close()
            raise ValidationError(_("The file has more than %(rows)d rows.") % {"rows": MAX_ROWS})
        if not any(cell not in (None, "") for cell in cells):
            continue
        yield number, {key: (cells[index] if index < len(cells) else None) for key, index in positions.items()}
    workbook.close()


def parse(upload, branches_in_scope) -> Preview:
    """Check every row against the register; nothing is written."""
    preview = Preview()
    branches: dict[str, list[Organisation]] = {}
    for branch in Organisation.objects.branches():
        branches.setdefault(branch.name, []).append(branch)
    allowed = set(branches_in_scope.values_list("pk", flat=True))
    seen: dict[str, int] = {}
    for number, cells in read_rows(upload):
        errors: list[RowError] = []
        row = {"_row": number}
        member_number = cell_text(cells.get("member_number"))
        if not member_number:
            errors.append(RowError(number, COLUMNS["member_number"], _("The member number is missing.")))
        elif member_number in seen:
            errors.append(RowError(number, COLUMNS["member_number"],
                                   _("Member number %(number)s also appears in row %(row)d.")
                                   % {"number": member_number, "row": seen[member_number]}))
        else:
            seen[member_number] = number
        row["member_number"] = member_number
        row["name"] = cell_text(cells.get("name"))
        if not row["name"]:
            errors.append(RowError(number, COLUMNS["name"], _("The name is missing.")))
        gender = GENDERS.get(cell_text(cells.get("gender")))
        if gender is None:
            errors.append(RowError(number, COLUMNS["gender"], _("Write 男 or 女.")))
        row["gender"] = gender
        for key in ("birth_date", "joined_on"):
            row[key] = parse_date(cells.get(key))
            if row[key] is None and cell_text(cells.get(key)):
                errors.append(RowError(number, COLUMNS[key], _("“%(value)s” is not a date such as 1975-03-08.")
                                       % {"value": cell_text(cells.get(key))}))
        if row.get("birth_date") and row.get("joined_on") and row["joined_on"] < row["birth_date"]:
            errors.append(RowError(number, COLUMNS["joined_on"], _("The date joined is before the birth date.")))
        branch_name = cell_text(cells.get("branch"))
        candidates = branches.get(branch_name, [])
        if not candidates:
            errors.append(RowError(number, COLUMNS["branch"], _("Unknown branch “%(name)s”.") % {"name": branch_name}))
        elif len(candidates) > 1:
            errors.append(RowError(number, COLUMNS["branch"],
                                   _("Several branches are called “%(name)s”; rename one first.") % {"name": branch_name}))
        elif candidates[0].pk not in allowed:
            errors.append(RowError(number, COLUMNS["branch"],
                                   _("Branch “%(name)s” is outside your area.") % {"name": branch_name}))
        else:
            row["branch_id"] = candidates[0].pk
        category = CATEGORIES.get(cell_text(cells.get("category")))
        if category is None:
            errors.append(RowError(number, COLUMNS["category"], _("Unknown category “%(value)s”.")
                                   % {"value": cell_text(cells.get("category"))}))
        else:
            row["category"], row["new_sector_subtype"] = category
        position = POSITIONS.get(cell_text(cells.get("position")))
        if position is None:
            errors.append(RowError(number, COLUMNS["position"], _("Unknown position “%(value)s”.")
                                   % {"value": cell_text(cells.get("position"))}))
        row["position"] = position
        status = STATUSES.get(cell_text(cells.get("status")))
        if status is None:
            errors.append(RowError(number, COLUMNS["status"], _("Unknown status “%(value)s”.")
                                   % {"value": cell_text(cells.get("status"))}))
        row["status"] = status
        phone = re.sub(r"[\s-]", "", cell_text(cells.get("phone")))
        if phone and not re.fullmatch(r"\+?\d{7,15}", phone):
            errors.append(RowError(number, COLUMNS["phone"], _("The phone number is not valid.")))
        row["phone"] = phone
        for key in ("is_mobile", "is_elderly", "is_backbone"):
            row[key] = _flag(cells.get(key), COLUMNS[key], errors, number)
        preview.errors += errors
        if not errors:
            preview.rows.append(row)
    if not preview.rows and not preview.errors:
        preview.errors.append(RowError(1, "", _("The file has no member rows.")))
    if not preview.errors:
        _classify(preview, branches_in_scope)
    return preview


def _existing(numbers: list[str]) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for start in range(0, len(numbers), 900):
        for member in Member.objects.filter(member_number__in=numbers[start:start + 900]):
            found[member.member_number] = member
    return found


def _classify(preview: Preview, branches_in_scope) -> None:
    existing = _existing([row["member_number"] for row in preview.rows])
    allowed = set(branches_in_scope.values_list("pk", flat=True))
    for row in preview.rows:
        member = existing.get(row["member_number"])
        if member is None:
            preview.created += 1
            continue
        if member.branch_id not in allowed:
            preview.errors.append(RowError(row["_row"], COLUMNS["member_number"], _(
                "Member %(number)s is registered in a branch outside your area; the district imports this row."
            ) % {"number": row["member_number"]}))
            continue
        changes = [name for name in FIELDS if getattr(member, name) != row[name]]
        if not changes:
            preview.unchanged += 1
            continue
        preview.updated += 1
        if "branch_id" in changes:
            preview.transferred += 1
        if "status" in changes:
            preview.status_changed += 1


@transaction.atomic
def apply(preview: Preview, by, file_name: str) -> Preview:
    """Write the checked rows: create, update, transfer. Idempotent by member number."""
    existing = _existing([row["member_number"] for row in preview.rows])
    result = Preview(rows=preview.rows)
    new_members, changed, transfers = [], [], []
    previous_branches: set[int] = set()
    changed_fields: set[str] = set()
    for row in preview.rows:
        values = {name: row[name] for name in FIELDS}
        member = existing.get(row["member_number"])
        if member is None:
            new_members.append(Member(member_number=row["member_number"], **values))
            result.created += 1
            continue
        changes = [name for name in FIELDS if getattr(member, name) != values[name]]
        if not changes:
            result.unchanged += 1
            continue
        if "branch_id" in changes:
            transfers.append(MemberTransfer(member=member, from_branch_id=member.branch_id,
                                            to_branch_id=values["branch_id"], source=file_name[:120]))
            result.transferred += 1
        if "status" in changes:
            result.status_changed += 1
        previous_branches.add(member.branch_id)
        changed_fields |= {name.removesuffix("_id") for name in changes}
        for name in changes:
            setattr(member, name, values[name])
        changed.append(member)
        result.updated += 1
    Member.objects.bulk_create(new_members, batch_size=2000)
    Member.objects.bulk_update(changed, FIELDS, batch_size=1000)
    MemberTransfer.objects.bulk_create(transfers, batch_size=2000)
    if new_members or changed:
        # Attendance re-copies branch and category, and the branches' figures count them anew.
        members_changed.send(sender=Member, members=[*new_members, *changed], previous_branch_ids=previous_branches,
                             fields=changed_fields | ({"created"} if new_members else set()))
    audit(by, AuditEntry.Action.IMPORT, f"member register: {file_name}",
          f"created={result.created} updated={result.updated} transferred={result.transferred} "
          f"status_changed={result.status_changed} unchanged={result.unchanged}")
    return result


MAX_ERRORS_KEPT = 200


def _counts(preview: Preview) -> dict[str, int]:
    return {name: getattr(preview, name) for name in ("created", "updated", "transferred", "status_changed",
                                                      "unchanged")}


def _checked(job: ImportJob) -> Preview:
    """Every row checked against the branches the importing organiser may change."""
    with job.file.open("rb") as handle:
        return parse(handle, Organisation.objects.visible_to(job.user, "members.import").branches())


def validate_job(job_id: int) -> None:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    job.state = ImportJob.State.VALIDATING
    job.save(update_fields=["state"])
    try:
        preview = _checked(job)
    except ValidationError as error:
        job.fail(" ".join(error.messages))
        return
    job.valid_rows = len(preview.rows)  # rows without an error
    job.error_rows = len({error.row for error in preview.errors})
    job.total_rows = job.processed_rows = job.valid_rows + job.error_rows
    job.errors = [{"row": e.row, "column": e.column, "error": str(e.message)} for e in preview.errors[:MAX_ERRORS_KEPT]]
    job.summary = _counts(preview)
    # The register is imported whole or not at all: a row with an error ends the job here.
    job.state = ImportJob.State.FAILED if preview.errors else ImportJob.State.PREVIEW
    job.save(update_fields=["state", "total_rows", "processed_rows", "error_rows", "valid_rows", "errors", "summary"])


def commit_job(job_id: int) -> None:
    """Check again (the register may have changed since the preview), then write it all or nothing."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.state not in (ImportJob.State.QUEUED, ImportJob.State.IMPORTING):
        return
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING)
    try:
        preview = _checked(job)
    except ValidationError as error:
        job.fail(" ".join(error.messages))
        return
    if not preview.ok:
        job.fail(_("The register changed since the preview: check the file again."))
        return
    result = apply(preview, job.user, job.original_name)
    job.summary = _counts(result)
    job.written_rows = result.created + result.updated
    job.state, job.finished_at = ImportJob.State.DONE, timezone.now()
    job.save(update_fields=["summary", "written_rows", "state", "finished_at"])
