"""Form pieces every app shares: the browser's date-time input and a full-width submit button."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

# The ISO form <input type="datetime-local"> expects, whatever the locale.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def submit_helper(submit_label, form_tag: bool = True, css_class: str = "btn-danger btn-lg w-100 mt-2") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.add_input(Submit("submit", submit_label, css_class=css_class))
    return helper
