"""Member register import through the import pipeline: upload, preview with row errors, confirm."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from training.imports import member_import, pipeline
from training.imports.models import ImportJob
from training.organisation import access


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Member register (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        member_import.check_upload(upload)
        return upload


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """The user's own register import; anyone else's is not found."""
    job = ImportJob.objects.filter(pk=job_id, kind=ImportJob.Kind.MEMBER_REGISTER, user=request.user).first()
    if job is None:
        raise Http404
    return job


@access.requires("members.import")
def member_import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = pipeline.start(kind=ImportJob.Kind.MEMBER_REGISTER, user=request.user,
                                 upload=form.cleaned_data["file"])
        except ValidationError as refused:
            form.add_error("file", refused)
        else:
            return redirect("member_import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(kind=ImportJob.Kind.MEMBER_REGISTER, user=request.user)[:5]
    return render(request, "training/member_import.html", {
        "form": form, "jobs": jobs, "columns": member_import.COLUMNS.values(),
    }, status=400 if form.errors else 200)


@access.requires("members.import")
def member_import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Progress, then the preview and its row errors; htmx polls the status part."""
    job = _job(request, job_id)
    template = "training/_member_import_status.html" if request.htmx else "training/member_import_job.html"
    return render(request, template, {"job": job})


@access.requires("members.import")
@require_POST
def member_import_commit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if not pipeline.confirm(job):  # a double tap imports once; a file with errors not at all
        messages.error(request, _("This file cannot be imported."))
    return redirect("member_import_job", job_id=job.pk)


@access.requires("members.import")
def member_import_template(request: HttpRequest) -> HttpResponse:
    """An empty workbook with the expected header row."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员信息"
    sheet.append(list(member_import.COLUMNS.values()))
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="member-register-template.xlsx"'
    return response
