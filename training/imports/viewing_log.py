"""Viewing-log import: read xlsx/csv exports, check every row, then write the valid ones.

Two passes over the uploaded file, both streamed (openpyxl read-only, csv line by line):
``validate_job`` checks every row, counts, keeps the first errors and stages the valid
marks in a small csv beside the upload; ``commit_job`` writes the staged marks through
``record_attendance`` (``training.attendance.actions``) in one transaction. Re-importing the same file writes nothing,
because the attendance upsert skips unchanged rows.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiangbei.parsing import cell_text
from training.attendance.actions import AttendanceError, Mark, record_attendance
from training.attendance.credit import CreditRules, session_year
from training.attendance.models import Attendance
from training.attendance.rules import max_minutes, refused_by_audience, window_refusal
from training.imports.models import ImportJob
from training.organisation.access import scope_for
from training.organisation.audit import audit
from training.organisation.models import AuditEntry, Member
from training.programmes.models import Enrolment

MAX_ERRORS_KEPT = 200
CHUNK = 2000
PROGRESS_EVERY = 1000
HEADER_SEARCH_ROWS = 10


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is shown to the user."""


# --- reading --------------------------------------------------------------------------------

COLUMNS = {
    "member_number": ("党员编号", "编号", "党员号", "membernumber", "member_number", "memberno"),
    "phone": ("手机号", "手机", "手机号码", "电话", "联系电话", "电话号码", "phone", "mobile"),
    "name": ("姓名", "名称", "用户名", "用户昵称", "昵称", "参会者", "参会人", "成员", "成员名称", "入会昵称", "name"),
    "minutes": ("观看时长分钟", "观看分钟", "时长分钟", "分钟", "学习时长分钟", "minutes", "minuteswatched"),
    "duration": ("参会时长", "入会时长", "在线时长", "观看时长", "时长", "学习时长", "duration"),
    "join_time": ("入会时间", "首次入会时间", "加入时间", "进入时间", "jointime", "join"),
    "leave_time": ("退会时间", "最后退会时间", "离开时间", "退出时间", "leavetime", "leave"),
    "kind": ("方式", "类型", "观看方式", "直播回放", "学习方式", "kind", "type", "livereplay", "channel"),
}
LIVE_WORDS = ("直播", "live", "在线", "实时")
REPLAY_WORDS = ("回放", "replay", "点播", "录播")


def _normalise(header) -> str:
    text = str(header or "").strip().lower().lstrip("\ufeff")
    return re.sub(r"[\s()（）/_\-:：]", "", text)


def map_header(cells) -> dict[str, int] | None:
    """Column indexes by field, or None when the row is not a recognisable header."""
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = _normalise(cell)
        if not text:
            continue
        for field, names in COLUMNS.items():
            if field not in mapping and text in {_normalise(name) for name in names}:
                mapping[field] = index
                break
    has_identity = "member_number" in mapping or "phone" in mapping or "name" in mapping
    has_time = "minutes" in mapping or "duration" in mapping or ("join_time" in mapping and "leave_time" in mapping)
    return mapping if has_identity and has_time else None


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030 (a GBK superset)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def check_file(path: Path, original_name: str) -> str:
    """The file's type ("xlsx" or "csv"); raises ImportFileError for anything else."""
    suffix = Path(original_name).suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        raise ImportFileError(_("The file is empty."))
    if suffix == ".xlsx":
        if not head.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(path):
            raise ImportFileError(_("The file is damaged or is not a valid Excel (.xlsx) file."))
        return "xlsx"
    if suffix == ".csv":
        if b"\x00" in head:
            raise ImportFileError(_("The file is not a text csv file. Save it as csv (UTF-8 or GBK) or xlsx."))
        return "csv"
    if suffix == ".xls":
        raise ImportFileError(_("Old Excel files (.xls) cannot be read. Save it as .xlsx or .csv."))
    raise ImportFileError(_("Only .xlsx and .csv files can be imported."))


def raw_rows(path: Path, kind: str) -> Iterator[tuple]:
    if kind == "xlsx":
        yield from _xlsx_rows(path)
    else:
        with path.open("r", encoding=detect_encoding(path), newline="") as handle:
            yield from (tuple(row) for row in csv.reader(handle))


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken archives
        raise ImportFileError(_("The file is damaged or is not a valid Excel (.xlsx) file.")) from exc
    try:
        sheet = workbook.worksheets[0]
        try:
            yield from sheet.iter_rows(values_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ImportFileError(_("The file is damaged or is not a valid Excel (.xlsx) file.")) from exc
    finally:
        workbook.close()


def records(path: Path, kind: str) -> Iterator[tuple[int, dict]]:
    """(row number as the user sees it, {field: raw value}) for each data row."""
    rows = raw_rows(path, kind)
    mapping = None
    number = 0
    for number, cells in enumerate(rows, start=1):
        mapping = map_header(cells)
        if mapping:
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if not mapping:
        if number == 0:
            raise ImportFileError(_("The file is empty."))
        raise ImportFileError(
            _("No header row found. The file needs columns for the member (member number, phone or name) "
              "and the time watched (minutes, duration, or join and leave times).")
        )
    header_row = number
    for row_number, cells in enumerate(rows, start=header_row + 1):
        if not any(cell not in (None, "") for cell in cells):
            continue
        yield row_number, {field: cells[index] if index < len(cells) else None for field, index in mapping.items()}


# --- checking -------------------------------------------------------------------------------

DURATION_HMS = re.compile(r"^(?:(\d+):)?(\d+):(\d+)$")
DURATION_WORDS = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*(?:(\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?\s*(?:(\d+)\s*(?:秒|s))?$")


def parse_minutes(value) -> int | None:
    """Minutes from 45, "45", "45分钟", "1小时5分", "01:05:00" or "65:00"; None if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip().lower()
    try:
        return int(float(text))
    except ValueError:
        pass
    match = DURATION_HMS.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        if hours is None:  # mm:ss
            return int(minutes) + int(seconds) // 60
        return int(hours) * 60 + int(minutes) + int(seconds) // 60
    match = DURATION_WORDS.match(text)
    if match and any(match.groups()):
        hours, minutes, seconds = match.groups()
        return int(float(hours or 0) * 60 + float(minutes or 0) + int(seconds or 0) // 60)
    return None


def parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%H:%M:%S", "%H:%M"):
        try:
            return datetime.strptime(text, pattern)  # noqa: DTZ007 (only differences are used)
        except ValueError:
            continue
    return None


def parse_channel(value, default: str) -> str | None:
    text = str(value or "").strip().lower()
    if not text:
        return default
    if any(word in text for word in REPLAY_WORDS):
        return Attendance.Channel.REPLAY
    if any(word in text for word in LIVE_WORDS):
        return Attendance.Channel.LIVE
    return None


class Checker:
    """Checks rows chunk by chunk against the members the importing user may record."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.scope = scope_for(job.user, "imports.run")
        self.rules = CreditRules.for_year(session_year(job.session))
        self.seen: dict[int, int] = {}  # member id → first row number
        self.longest = max_minutes(job.session)
        self.enrolled = set(Enrolment.objects.filter(session=job.session).values_list("member_id", flat=True))

    def check(self, chunk: list[tuple[int, dict]]) -> tuple[list[tuple[int, int, str, int]], list[dict]]:
        numbers = {cell_text(fields.get("member_number")).upper() for _n, fields in chunk} - {""}
        phones = {cell_text(fields.get("phone")) for _n, fields in chunk} - {""}
        # Only members the importer may record are looked up: a number or phone outside their scope
        # gets the same answer as an unknown one, so a file cannot be used to find people.
        candidates = Member.objects.active().filter(self.scope.q("branch__path")) if self.scope else Member.objects.none()
        found = candidates.filter(member_number__in=numbers) if numbers else Member.objects.none()
        by_number = {m.member_number: m for m in found.select_related("branch")}
        by_phone: dict[str, list[Member]] = {}
        if phones:
            for member in candidates.filter(phone__in=phones).select_related("branch"):
                by_phone.setdefault(member.phone, []).append(member)
        valid, errors = [], []
        for number, fields in chunk:
            outcome = self._check_row(number, fields, by_number, by_phone)
            if isinstance(outcome, str):
                errors.append({"row": number, "name": cell_text(fields.get("name"))[:40], "error": outcome})
            else:
                valid.append(outcome)
        return valid, errors

    def _check_row(self, number, fields, by_number, by_phone):
        name = cell_text(fields.get("name"))
        member_number = cell_text(fields.get("member_number")).upper()
        phone = cell_text(fields.get("phone"))
        if member_number:
            member = by_number.get(member_number)
            if member is None:
                return _("Unknown member number %(number)s.") % {"number": member_number}
            if name and name != member.name:
                return _("The name does not match member number %(number)s.") % {"number": member_number}
        elif phone:
            matches = [m for m in by_phone.get(phone, []) if not name or m.name == name]
            if not matches:
                return _("No member with this phone and name.")
            if len(matches) > 1:
                return _("Several members share this phone; give the member number.")
            member = matches[0]
        else:
            return _("The row has no member number or phone.")
        minutes = parse_minutes(fields.get("minutes"))
        if minutes is None:
            minutes = parse_minutes(fields.get("duration"))
        if minutes is None:
            joined, left = parse_time(fields.get("join_time")), parse_time(fields.get("leave_time"))
            if joined and left:
                minutes = int((left - joined).total_seconds() // 60)
        if minutes is None:
            return _("The time watched is missing or unreadable.")
        if minutes < 0:
            return _("Minutes cannot be negative.")
        if minutes > self.longest:
            return _("%(minutes)d minutes is longer than the session allows (%(length)d minutes at most).") % {
                "minutes": minutes, "length": self.longest}
        session = self.job.session
        paths = {member.branch_id: member.branch.path, session.organiser_id: session.organiser.path}
        if refused_by_audience(session, [member], paths, self.enrolled):
            return _("%(name)s is not on this session's roster (not enrolled and not in its audience).") % {
                "name": member.name}
        channel = parse_channel(fields.get("kind"), self.job.default_channel)
        if channel is None:
            return _("Say live or replay (直播 or 回放).")
        first = self.seen.get(member.pk)
        if first is not None:
            return _("Duplicate: the same member as row %(row)d.") % {"row": first}
        self.seen[member.pk] = number
        return (number, member.pk, channel, minutes)


def _staging_path(job: ImportJob) -> Path:
    return Path(job.file.path + ".valid.csv")


def _progress_key(job_id: int) -> str:
    return f"viewing-log-progress-{job_id}"


def progress(job: ImportJob) -> int:
    """Rows processed so far (the cache holds progress during the committing transaction)."""
    return max(job.processed_rows, cache.get(_progress_key(job.pk), 0) if job.state == job.State.IMPORTING else 0)


def validate_job(job_id: int) -> None:
    job = ImportJob.objects.select_related("session__course", "session__organiser", "user").get(pk=job_id)
    path = Path(job.file.path)
    job.state = ImportJob.State.VALIDATING
    job.save(update_fields=["state"])
    try:
        refused = window_refusal(job.session, job.default_channel, timezone.now())
        if refused:
            raise ImportFileError(refused)
        kind = check_file(path, job.original_name)
        checker = Checker(job)
        counts = {"total": 0, "valid": 0, "errors": 0}
        kept_errors: list[dict] = []
        with _staging_path(job).open("w", newline="", encoding="utf-8") as staging:
            writer = csv.writer(staging)
            chunk: list[tuple[int, dict]] = []

            def flush() -> None:
                valid, errors = checker.check(chunk)
                writer.writerows(valid)
                counts["total"] += len(chunk)
                counts["valid"] += len(valid)
                counts["errors"] += len(errors)
                kept_errors.extend(errors[: MAX_ERRORS_KEPT - len(kept_errors)])
                chunk.clear()
                ImportJob.objects.filter(pk=job.pk).update(processed_rows=counts["total"])

            for record in records(path, kind):
                chunk.append(record)
                if len(chunk) >= CHUNK:
                    flush()
            if chunk:
                flush()
        if counts["total"] == 0:
            raise ImportFileError(_("The file has a header but no rows."))
    except ImportFileError as exc:
        job.fail(str(exc))
        return
    job.state = ImportJob.State.PREVIEW
    job.total_rows = job.processed_rows = counts["total"]
    job.valid_rows, job.error_rows, job.errors = counts["valid"], counts["errors"], kept_errors
    job.save(update_fields=["state", "total_rows", "processed_rows", "valid_rows", "error_rows", "errors"])


def commit_job(job_id: int) -> None:
    """Write every staged valid row in one transaction; nothing is written if any write fails."""
    job = ImportJob.objects.select_related("session__course", "session__organiser", "user").get(pk=job_id)
    if job.state not in (ImportJob.State.QUEUED, ImportJob.State.IMPORTING):  # confirmed (pipeline.confirm)
        return
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING, processed_rows=0)
    job.state = ImportJob.State.IMPORTING
    session = job.session
    rules = CreditRules.for_year(session_year(session))
    written = 0
    done = 0
    try:
        with transaction.atomic():
            with _staging_path(job).open(newline="", encoding="utf-8") as staging:
                batch: list[tuple[int, str, int]] = []
                for _row, member_id, channel, minutes in csv.reader(staging):
                    batch.append((int(member_id), channel, int(minutes)))
                    if len(batch) >= CHUNK:
                        written += _write(job, batch, rules)
                        done += len(batch)
                        batch = []
                        cache.set(_progress_key(job.pk), done, 3600)
                if batch:
                    written += _write(job, batch, rules)
                    done += len(batch)
            audit(job.user, AuditEntry.Action.IMPORT, f"{session.display_title} ({session.pk})",
                  f"{job.original_name}: {written} written, {job.valid_rows} valid, {job.error_rows} errors")
    except (AttendanceError, OSError) as exc:
        job.fail(str(exc))
        return
    job.state = ImportJob.State.DONE
    job.processed_rows = done
    job.written_rows = written
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "processed_rows", "written_rows", "finished_at"])
    cache.delete(_progress_key(job.pk))


def _write(job: ImportJob, batch: list[tuple[int, str, int]], rules: CreditRules) -> int:
    members = Member.objects.in_bulk([member_id for member_id, _c, _m in batch])
    marks = []
    for member_id, channel, minutes in batch:
        status = Attendance.Status.PRESENT if minutes >= rules.min_minutes else Attendance.Status.LEFT_EARLY
        marks.append(Mark(members[member_id], status, channel=channel, minutes=minutes))
    return record_attendance(job.session, marks, by=job.user, channel=Attendance.Channel.IMPORT, rules=rules)


def sample_csv() -> bytes:
    """A template secretaries can fill in, in the encoding Chinese Excel opens directly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["党员编号", "手机号", "姓名", "观看时长（分钟）", "方式"])
    writer.writerow(["JB000001", "", "张三", "45", "直播"])
    return buffer.getvalue().encode("gb18030")
