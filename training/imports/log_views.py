"""Viewing-log imports of a session: upload, progress, preview, commit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from training.attendance.branch_views import _session
from training.attendance.models import Attendance
from training.attendance.rules import window_refusal
from training.imports import pipeline, viewing_log
from training.imports.forms import ImportForm
from training.imports.models import ImportJob
from training.organisation import access


@access.requires("imports.run")
def import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    # Said before anything is uploaded; the import itself checks it again (rules.window_refusal).
    not_yet = window_refusal(session, Attendance.Channel.IMPORT, timezone.now())
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not not_yet and form.is_valid():
        try:
            job = pipeline.start(kind=ImportJob.Kind.VIEWING_LOG, user=request.user, upload=form.cleaned_data["file"],
                                 session=session, default_channel=form.cleaned_data["default_channel"])
        except ValidationError as refused:
            form.add_error("file", refused)
        else:
            return redirect("import_job", pk=session.pk, job_id=job.pk)
    jobs = ImportJob.objects.filter(session=session, user=request.user)[:5]
    return render(request, "training/import_upload.html",
                  {"session": session, "form": form, "jobs": jobs, "not_yet": not_yet},
                  status=400 if request.method == "POST" and not_yet else 200)


def _job(request: HttpRequest, pk: int, job_id: int) -> ImportJob:
    session = _session(request, pk)
    job = ImportJob.objects.select_related("session").filter(pk=job_id, session=session, user=request.user).first()
    if job is None:
        raise Http404
    return job


@access.requires("imports.run")
def import_job(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    job = _job(request, pk, job_id)
    earlier = None
    if job.state == ImportJob.State.PREVIEW:
        earlier = (ImportJob.objects.filter(session=job.session, sha256=job.sha256, state=ImportJob.State.DONE)
                   .exclude(pk=job.pk).order_by("-finished_at").first())
    context = {"session": job.session, "job": job, "processed": viewing_log.progress(job), "earlier": earlier}
    template = "training/_import_status.html" if request.htmx else "training/import_job.html"
    return render(request, template, context)


@access.requires("imports.run")
@require_POST
def import_commit(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    job = _job(request, pk, job_id)
    if not pipeline.confirm(job):  # a double tap imports once
        messages.error(request, _("This file cannot be imported."))
    return redirect("import_job", pk=pk, job_id=job.pk)


@access.requires("imports.run")
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(viewing_log.sample_csv(), content_type="text/csv; charset=gb18030")
    response["Content-Disposition"] = 'attachment; filename="viewing-log-template.csv"'
    return response
