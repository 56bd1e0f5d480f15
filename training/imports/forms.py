"""The viewing-log upload form."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from jiangbei.forms import submit_helper


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
        self.helper = submit_helper(_("Check the file"))
        self.helper.form_enctype = "multipart/form-data"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
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
