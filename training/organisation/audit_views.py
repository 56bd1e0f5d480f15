"""The audit trail viewer for the security auditor (等保 2.0 8.1.4.3): read, filter, download."""

from __future__ import annotations

import io

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiangbei.spreadsheets import safe_cell
from training.organisation import access
from training.organisation.audit import audit
from training.organisation.forms import AuditFilterForm
from training.organisation.models import AuditEntry

PAGE_SIZE = 50
# A download holds at most this many entries, the newest; narrower filters give the rest.
EXPORT_LIMIT = 100_000


@access.requires("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    entries = form.entries(AuditEntry.objects.all())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/audit_list.html", {
        "form": form,
        "page": page,
        "actions": AuditEntry.Action.choices,
    })


@access.requires("audit.view")
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(str(error) for errors in form.errors.values() for error in errors))
    content = audit_xlsx(form.entries(AuditEntry.objects.all()))
    audit(request.user, AuditEntry.Action.EXPORT, "审计日志", request.GET.urlencode())
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.xlsx"'
    return response




def audit_xlsx(entries) -> bytes:
    """One sheet, newest entry first: time, user, action, target, detail, old, new, address."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit trail"))
    sheet.append([_("Time"), _("User name"), _("Action"), _("Target"), _("Detail"), _("Old value"),
                  _("New value"), _("IP address")])
    labels = dict(AuditEntry.Action.choices)
    count = 0
    for entry in entries[:EXPORT_LIMIT].iterator(chunk_size=2000):
        sheet.append([
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"), safe_cell(entry.username),
            str(labels.get(entry.action, entry.action)), safe_cell(entry.target), safe_cell(entry.detail),
            safe_cell(entry.old), safe_cell(entry.new), entry.address or "",
        ])
        count += 1
    if count == EXPORT_LIMIT:
        sheet.append([_("Only the newest %(count)d entries: narrow the filters for the rest.") % {"count": count}])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
