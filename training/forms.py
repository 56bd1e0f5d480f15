"""Forms for the branch secretary's work: check-in, import, meetings, make-up, 送学上门, ledger."""

from datetime import date, datetime, time, timedelta
from pathlib import Path

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import FirstTopicFormat, Member, Session
from .services import ORG_LIFE_KINDS


def _helper(submit_label, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.add_input(Submit("submit", submit_label, css_class="btn-danger btn-lg w-100 mt-2"))
    return helper


class CheckinForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=60)
    identifier = forms.CharField(
        label=_("Member number or mobile phone"), max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Check in"))
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-lg"

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_identifier(self) -> str:
        return self.cleaned_data["identifier"].replace(" ", "").replace("-", "").upper()


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Viewing log (.xlsx or .csv)"),
        help_text=_("Columns: member number or phone, name, minutes, live or replay. "
                    "Exports of meeting platforms (name, phone, join time, leave time, duration) are read as well."),
    )
    default_channel = forms.ChoiceField(
        label=_("Rows without a live/replay column are"),
        choices=[("live", _("Live stream")), ("replay", _("Replay"))],
        initial="live",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Check the file"))
        self.helper.form_enctype = "multipart/form-data"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB. Split it and import the parts.") % {"mb": limit // (1024 * 1024)}
            )
        suffix = Path(upload.name).suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError(_("Old Excel files (.xls) cannot be read. Save it as .xlsx or .csv."))
        if suffix not in (".xlsx", ".csv"):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        return upload


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=[(k.value, k.label) for k in ORG_LIFE_KINDS])
    title = forms.CharField(label=_("Topic"), max_length=160)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("Start time"), initial=time(14, 30), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=15, max_value=600, initial=120)
    first_topic = forms.CharField(label=_("First agenda item (第一议题)"), max_length=200, required=False)
    first_topic_format = forms.ChoiceField(
        label=_("First agenda item format"), choices=[("", "—"), *FirstTopicFormat.choices], required=False
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save the meeting"))

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
        self.helper = _helper(_("Record study at home"))


class LedgerPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                raise forms.ValidationError(_("The end date is before the start date."))
            if data["end"] - data["start"] > timedelta(days=370):
                raise forms.ValidationError(_("Choose a period of at most one year."))
        return data
