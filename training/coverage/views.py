"""The leadership dashboard and coverage reports. They read roll-up rows only."""

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, lazy
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from jiangbei.dispatch import send_now
from jiangbei.parsing import parse_int
from training.attendance.models import Attendance
from training.coverage import reports
from training.coverage.models import CoverageRun
from training.coverage.runs import request_recompute
from training.coverage.tasks import refresh_coverage_full
from training.organisation import access
from training.organisation.audit import audit, audited
from training.organisation.models import AuditEntry, Category, Member, Organisation
from training.programmes.models import Programme


def _selection(request: HttpRequest) -> tuple[int, Organisation, str, int | None]:
    """Year, organisation (within the user's scope), category and programme id from the query."""
    scope = request.scope
    year = parse_int(request.GET.get("year")) or reports.default_year()
    org_id = parse_int(request.GET.get("org")) or scope.organisation_id
    if org_id and org_id == scope.organisation_id:
        # The top of the user's own scope: visible by definition, fetched only if used.
        organisation = SimpleLazyObject(lambda: Organisation.objects.get(pk=org_id))
    elif org_id:
        organisation = Organisation.objects.filter(pk=org_id).first()
        if organisation is None or not scope.covers(organisation.path):
            raise Http404
    else:
        organisation = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
        if organisation is None:
            raise Http404
    category = request.GET.get("category", "")
    return year, organisation, category if category in Category.values else "", parse_int(request.GET.get("programme"))


def _report_for(request: HttpRequest) -> reports.CoverageReport:
    return _build_report(*_selection(request))


def _build_report(year: int, organisation: Organisation, category: str, programme_id: int | None):
    programme = Programme.objects.filter(pk=programme_id, year=year).first() if programme_id else None
    return reports.coverage_report(year, organisation, category, programme)


@access.requires("coverage.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The figures are rendered once per roll-up version and served from the cache after that;
    everything below is computed lazily, only when the cached body is missing."""
    year, organisation, category, programme_id = _selection(request)
    report = SimpleLazyObject(lambda: _build_report(year, organisation, category, programme_id))
    return render(
        request,
        "training/dashboard.html",
        {
            "selection": {
                "year": year, "organisation_id": _organisation_id(request, organisation), "category": category,
                "programme": programme_id, "version": reports.coverage_version(year),
            },
            "report": report,
            "chart_json": lazy(lambda: json_script(_chart(report), "dashboard-data"), SafeString)(),
            "summary": SimpleLazyObject(lambda: reports.annual_summary(report)),
            "years": SimpleLazyObject(lambda: reports.available_years(year)),
            "programmes": Programme.objects.filter(year=year).order_by("kind", "name"),
            "categories": Category.choices,
            "ancestors": SimpleLazyObject(lambda: list(organisation.ancestors()) if organisation.depth else []),
            "run": reports.active_run(year),
            "can_recompute": access.has(request.user, "coverage.recompute"),
            "can_export": access.has(request.user, "coverage.export"),
            # The cached body differs by what the viewer reaches and may download.
            "coverage_key": "|".join(request.scope.paths) + f"|{access.has(request.user, 'coverage.export')}",
        },
    )


def _organisation_id(request: HttpRequest, organisation) -> int:
    """The id without loading a lazily fetched organisation."""
    requested = parse_int(request.GET.get("org"))
    return requested or request.scope.organisation_id or organisation.pk


def _chart(report: reports.CoverageReport) -> dict:
    return {
        "categories": [label for _code, label, _f in report.by_category],
        "category_reached": [f.members_reached for *_rest, f in report.by_category],
        "category_total": [f.members_total for *_rest, f in report.by_category],
        "children": [org.name for org, _f in report.children],
        "children_ids": [org.pk for org, _f in report.children],
        "children_reached": [f.members_reached for _org, f in report.children],
        "children_not_reached": [f.not_reached for _org, f in report.children],
        "months": [f"{month}月" for month, _f in report.by_month],
        "month_person_times": [f.person_times for _month, f in report.by_month],
        "channels": [{"name": label, "value": f.person_times} for _code, label, f in report.by_channel if f.person_times],
    }


@access.requires("coverage.view")
@audited(AuditEntry.Action.EXPORT)
def coverage_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_report_for(request).as_json(), json_dumps_params={"ensure_ascii": False})


@access.requires("coverage.export")
def coverage_export(request: HttpRequest) -> HttpResponse:
    report = _report_for(request)
    audit(request.user, AuditEntry.Action.EXPORT, f"coverage.xlsx {report.organisation.name}", request.GET.urlencode())
    response = HttpResponse(
        reports.coverage_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="coverage-{report.year}-{report.organisation.pk}.xlsx"'
    return response


@access.requires("coverage.export")
def summary_docx(request: HttpRequest) -> HttpResponse:
    report = _report_for(request)
    title = f"{report.organisation.name}{report.year}年度党员教育培训工作情况"
    audit(request.user, AuditEntry.Action.EXPORT, f"summary.docx {report.organisation.name}")
    response = HttpResponse(
        reports.summary_docx(title, reports.annual_summary(report)),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="summary-{report.year}-{report.organisation.pk}.docx"'
    return response


@access.requires("coverage.recompute")
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Queue a full recomputation of the year, or join the one on its way; the page polls it."""
    year = parse_int(request.POST.get("year")) or reports.default_year()
    run, started = request_recompute(request.user, year)
    if started:
        send_now(refresh_coverage_full, run.pk, queue="rollups")
        run.refresh_from_db()
    return render(request, "training/includes/_refresh_status.html", {"run": run})


@access.requires("coverage.recompute")
def refresh_status(request: HttpRequest, pk: int) -> HttpResponse:
    run = CoverageRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    return render(request, "training/includes/_refresh_status.html", {"run": run})


@access.requires("members.view")
@audited(AuditEntry.Action.VIEW)
def not_reached(request: HttpRequest, pk: int) -> HttpResponse:
    """一个不落: a branch's active members with no attended row this year, with their flags."""
    branch = Organisation.objects.branches().filter(pk=pk).first()
    if branch is None or not request.scope.covers(branch.path):
        raise Http404
    year = parse_int(request.GET.get("year")) or Attendance.objects.report_year()
    attended = Attendance.objects.filter(member=OuterRef("pk"), year=year, attended=True)
    members = (
        Member.objects.visible_to(request.user)
        .active()
        .filter(branch=branch)
        .exclude(Exists(attended))
        .order_by("member_number")
    )
    return render(
        request,
        "training/not_reached.html",
        {"branch": branch, "year": year, "members": members, "now": timezone.now()},
    )
