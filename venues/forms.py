"""Forms for the venue directory and red study routes."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from jiangbei.forms import DATETIME_FORMAT, DateTimeLocalInput
from training.organisation.access import scope_for
from training.organisation.models import Organisation
from training.programmes.models import Course
from venues import photos
from venues.models import StudyRoute, StudyRouteStop, Venue

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def streets_for(user):
    """Streets and parks (level one of the tree) the user may place a venue or route in."""
    scope = scope_for(user, "venues.manage")
    streets = Organisation.objects.streets()
    if scope is None:
        return streets.none()
    streets = streets.filter(scope.q("path"))
    return streets.order_by("path")


def _submit(label) -> Submit:
    return Submit("save", label, css_class="btn-danger w-auto px-4")


class VenueForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = [
            "name", "kind", "subtype", "capacity", "street", "address", "contact_name", "contact_phone",
            "opens_at", "closes_at", "accessibility_notes", "description",
        ]
        widgets = {"opens_at": TIME_INPUT, "closes_at": TIME_INPUT,
                   "accessibility_notes": forms.Textarea(attrs={"rows": 2}),
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user, "venues.manage")
        self.fields["street"].queryset = streets_for(user)
        # Only a district organiser may keep a venue outside any street.
        self.fields["street"].required = not (scope and scope.district_wide)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("kind", css_class="col-md-3"),
                Column("subtype", css_class="col-md-3")),
            Row(Column("street", css_class="col-md-4"), Column("address", css_class="col-md-8")),
            Row(Column("capacity", css_class="col-md-3"), Column("opens_at", css_class="col-md-3"),
                Column("closes_at", css_class="col-md-3")),
            Row(Column("contact_name", css_class="col-md-6"), Column("contact_phone", css_class="col-md-6")),
            "accessibility_notes", "description",
            _submit(_("Save venue")),
        )

    def clean_capacity(self) -> int | None:
        capacity = self.cleaned_data.get("capacity")
        if capacity is not None and capacity <= 0:
            raise forms.ValidationError(_("Capacity must be a positive number."))
        return capacity

    def clean(self) -> dict:
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Closing time must be after opening time."))
        if data.get("kind") == Venue.Kind.ONLINE and data.get("subtype") not in (None, Venue.Subtype.ONLINE_PLATFORM):
            self.add_error("subtype", _("An online venue is an online platform."))
        return data


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)

    def clean_image(self):
        upload = self.cleaned_data["image"]
        self.prepared = photos.prepare_photo(upload)
        return upload


class StudyRouteForm(forms.ModelForm):
    class Meta:
        model = StudyRoute
        fields = ["name", "street", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user, "venues.manage")
        self.fields["street"].queryset = streets_for(user)
        self.fields["street"].required = not (scope and scope.district_wide)


class StopForm(forms.ModelForm):
    class Meta:
        model = StudyRouteStop
        fields = ["venue", "minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.active().filter(kind=Venue.Kind.SITE).order_by("name")
        self.fields["minutes"].min_value = 1

    def clean_minutes(self) -> int:
        minutes = self.cleaned_data["minutes"]
        if minutes is None or minutes <= 0:
            raise forms.ValidationError(_("Minutes must be a positive number."))
        return minutes


class BaseStopFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise forms.ValidationError(_("A route needs at least one stop."))


StopFormSet = forms.inlineformset_factory(
    StudyRoute, StudyRouteStop, form=StopForm, formset=BaseStopFormSet, extra=3, can_delete=True,
    can_order=False,
)


class RouteOutingForm(forms.Form):
    """Schedule a route as one outing: the stops follow each other from the start time."""

    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.order_by("-programme__year", "title"))
    organiser = forms.ModelChoiceField(label=_("Organised by"), queryset=Organisation.objects.none())
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeLocalInput(),
                                    input_formats=[DATETIME_FORMAT])
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = Organisation.objects.visible_to(user, "sessions.schedule").exclude(
            kind__in=Organisation.BRANCH_KINDS
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("course", css_class="col-md-6"), Column("organiser", css_class="col-md-6")),
            Row(Column("starts_at", css_class="col-md-6"), Column("capacity", css_class="col-md-6")),
            _submit(_("Schedule the outing")),
        )
