"""Form pieces every app shares: the browser's date-time input, a bounded date field and a
full-width submit button."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from jiangbei.parsing import PARAM_YEARS

# The ISO form <input type="datetime-local"> expects, whatever the locale.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class BoundedDateField(forms.DateField):
    """A date within 1900–2999: ``9999-12-31`` is refused at the field, not by an overflow later."""

    def validate(self, value) -> None:
        super().validate(value)
        if value and value.year not in PARAM_YEARS:
            raise forms.ValidationError(_("Enter a date between 1900 and 2999."), code="out_of_range")


def submit_helper(submit_label, form_tag: bool = True, css_class: str = "btn-danger btn-lg w-100 mt-2") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.add_input(Submit("submit", submit_label, css_class=css_class))
    return helper
