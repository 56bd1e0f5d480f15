"""Member register import: upload, preview with row errors, confirm."""

from __future__ import annotations

import re
import secrets
import tempfile
from io import BytesIO
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from training.imports import member_import
from training.organisation import access
from training.organisation.models import Organisation

UPLOADS = Path(tempfile.gettempdir()) / "jiangbei-member-imports"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Member register (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        member_import.check_upload(upload)
        return upload


def _branches(request: HttpRequest):
    return Organisation.objects.visible_to(request.user).branches()


def _stored(request: HttpRequest, token: str) -> Path | None:
    if not TOKEN.match(token) or request.session.get("member_import_token") != token:
        return None
    path = UPLOADS / f"{token}.xlsx"
    return path if path.exists() else None


@login_required
def member_import_upload(request: HttpRequest) -> HttpResponse:
    access.require_scope(request, access.ORGANISER)
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = token = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = member_import.parse(upload, _branches(request))
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if preview.ok:
                UPLOADS.mkdir(mode=0o700, exist_ok=True)
                token = secrets.token_urlsafe(24)
                upload.seek(0)
                (UPLOADS / f"{token}.xlsx").write_bytes(upload.read())
                request.session["member_import_token"] = token
                request.session["member_import_name"] = upload.name[:100]
    return render(request, "training/member_import.html", {
        "form": form, "preview": preview, "token": token, "columns": member_import.COLUMNS.values(),
    })


@login_required
@require_POST
def member_import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    access.require_scope(request, access.ORGANISER)
    path = _stored(request, token)
    if path is None:
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect("member_import")
    upload = BytesIO(path.read_bytes())
    upload.name, upload.size = request.session.get("member_import_name", "register.xlsx"), path.stat().st_size
    preview = member_import.parse(upload, _branches(request))
    if not preview.ok:  # the register changed since the preview
        return render(request, "training/member_import.html", {
            "form": ImportForm(), "preview": preview, "token": None, "columns": member_import.COLUMNS.values(),
        })
    result = member_import.apply(preview, request.user, upload.name)
    path.unlink(missing_ok=True)
    request.session.pop("member_import_token", None)
    messages.success(request, _(
        "Imported: %(created)d new, %(updated)d updated (%(transferred)d transfers, %(status_changed)d status "
        "changes), %(unchanged)d unchanged."
    ) % {"created": result.created, "updated": result.updated, "transferred": result.transferred,
         "status_changed": result.status_changed, "unchanged": result.unchanged})
    return redirect("member_list")


@login_required
def member_import_template(request: HttpRequest) -> HttpResponse:
    """An empty workbook with the expected header row."""
    access.require_scope(request, access.ORGANISER)
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
