"""Forms of the attendance pages: QR check-in, branch meetings, 送学上门, the ledger period."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiangbei.forms import BoundedDateField, submit_helper
from training.attendance.orglife import ORG_LIFE_KINDS
from training.organisation.models import Member
from training.programmes.models import FirstTopicFormat, Session


class CheckinForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=60)
    identifier = forms.CharField(
        label=_("Member number or mobile phone"), max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(_("Check in"))
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-lg"

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_identifier(self) -> str:
        return self.cleaned_data["identifier"].replace(" ", "").replace("-", "").upper()


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=[(k.value, k.label) for k in ORG_LIFE_KINDS])
    title = forms.CharField(label=_("Topic"), max_length=160)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label=_("Start time"), initial=time(14, 30), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=15, max_value=600, initial=120)
    first_topic = forms.CharField(label=_("First agenda item (第一议题)"), max_length=200, required=False)
    first_topic_format = forms.ChoiceField(
        label=_("First agenda item format"), choices=[("", "—"), *FirstTopicFormat.choices], required=False
    )
    summary = forms.CharField(label=pgettext_lazy("meeting", "Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(_("Save the meeting"))

    def clean_day(self) -> date:
        day = self.cleaned_data["day"]
        if abs((day - timezone.localdate()).days) > 400:
            raise forms.ValidationError(_("Enter a date within about a year from today."))
        return day

    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"]))


class MembersChoiceForm(forms.Form):
    """Pick members (of a given queryset) and optionally a session."""

    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members if members is not None else Member.objects.none()
        self.fields["members"].label_from_instance = lambda m: f"{m.name}（{m.member_number}）"


class HomeStudyForm(MembersChoiceForm):
    session = forms.ModelChoiceField(label=_("What was studied"), queryset=Session.objects.none())

    def __init__(self, *args, sessions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions if sessions is not None else Session.objects.none()
        self.fields["session"].label_from_instance = lambda s: f"{s.display_title}（{timezone.localtime(s.starts_at):%Y-%m-%d}）"
        self.helper = submit_helper(_("Record study at home"))


class LedgerPeriodForm(forms.Form):
    start = BoundedDateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = BoundedDateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                raise forms.ValidationError(_("The end date is before the start date."))
            if data["end"] - data["start"] > timedelta(days=370):
                raise forms.ValidationError(_("Choose a period of at most one year."))
        return data
