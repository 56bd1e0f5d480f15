"""Forms of the organisation core: the audit trail's filters."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiangbei.parsing import parse_date_param
from training.organisation.models import AuditEntry, AuditEntryQuerySet


class AuditFilterForm(forms.Form):
    """The audit viewer's and its download's filters, read from the query string."""

    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("All actions")), *AuditEntry.Action.choices])
    start = forms.CharField(label=_("From"), required=False)
    end = forms.CharField(label=_("To"), required=False)
    target = forms.CharField(label=_("Target"), required=False, max_length=200)

    def _clean_date(self, name: str) -> date | None:
        text = self.cleaned_data[name].strip()
        if not text:
            return None
        value = parse_date_param(text)
        if value is None:
            raise forms.ValidationError(_("Enter a date such as 2025-03-05."))
        return value

    def clean_user(self) -> str:
        return self.cleaned_data["user"].strip()

    def clean_target(self) -> str:
        return self.cleaned_data["target"].strip()

    def clean_start(self) -> date | None:
        return self._clean_date("start")

    def clean_end(self) -> date | None:
        return self._clean_date("end")

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned

    @property
    def filtered(self) -> bool:
        """Any filter given (valid or not): the page offers to clear them."""
        return any(str(self.data.get(name, "")).strip() for name in self.fields)

    def entries(self, queryset: AuditEntryQuerySet) -> AuditEntryQuerySet:
        """``queryset`` narrowed by the valid filters, newest first; nothing if a filter is invalid."""
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["user"]:
            queryset = queryset.filter(username__icontains=data["user"])
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["target"]:
            queryset = queryset.filter(target__icontains=data["target"])
        zone = timezone.get_current_timezone()
        if data["start"]:
            queryset = queryset.filter(at__gte=datetime.combine(data["start"], time.min, tzinfo=zone))
        if data["end"]:  # the whole end day, in local time
            queryset = queryset.filter(at__lt=datetime.combine(data["end"] + timedelta(days=1), time.min, tzinfo=zone))
        return queryset.order_by("-at", "-pk")
