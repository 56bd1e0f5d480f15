"""Forms of organisers: sessions and series, programmes and courses, cohorts and quotas."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiangbei.forms import DATETIME_FORMAT, DateTimeLocalInput
from training.organisation.access import scope_for
from training.organisation.models import Category, Member, NewSectorSubtype, Organisation
from training.programmes import scheduling
from training.programmes.models import Course, DeliveryMode, Programme, Session


def _formfield(field, **kwargs):
    """Links typed without a scheme are taken as https://."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class SessionForm(forms.ModelForm):
    """Create or edit one session; every hard scheduling rule is checked in ``clean``."""

    submit_label = _("Save session")

    class Meta:
        model = Session
        formfield_callback = _formfield
        fields = [
            "course", "title", "kind", "audience", "organiser", "starts_at", "ends_at", "mode", "venue",
            "lecturer", "capacity", "stream_url", "replay_url", "replay_until", "credited_hours",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "replay_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = scope_for(user, "sessions.schedule")
        organisers = Organisation.objects.filter(scope.q("path") if scope else Q(pk__in=[])).exclude(
            kind__in=Organisation.BRANCH_KINDS)
        self.fields["organiser"].queryset = organisers
        if scope and scope.organisation_id and not self.instance.pk:
            self.fields["organiser"].initial = scope.organisation_id
        self.fields["course"].queryset = Course.objects.select_related("programme").order_by(
            "-programme__year", "programme__name", "title"
        )
        # The fields' own querysets: venues and lecturers sit above training, which never names their models.
        self.fields["venue"].queryset = self.fields["venue"].queryset.active().order_by("name")
        self.fields["lecturer"].queryset = self.fields["lecturer"].queryset.filter(is_active=True).order_by("name")
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("course", css_class="col-md-6"), Column("title", css_class="col-md-6")),
            Row(Column("kind", css_class="col-md-4"), Column("audience", css_class="col-md-4"),
                Column("organiser", css_class="col-md-4")),
            Row(Column("starts_at", css_class="col-md-6"), Column("ends_at", css_class="col-md-6")),
            Row(Column("mode", css_class="col-md-4"), Column("venue", css_class="col-md-4"),
                Column("lecturer", css_class="col-md-4")),
            Row(Column("capacity", css_class="col-md-4"), Column("credited_hours", css_class="col-md-4")),
            Row(Column("stream_url", css_class="col-md-5"), Column("replay_url", css_class="col-md-5"),
                Column("replay_until", css_class="col-md-2")),
            *self.extra_layout(),
            Submit("save", self.submit_label, css_class="btn-danger w-auto px-4"),
        )

    def extra_layout(self) -> list:
        return []

    def clean_capacity(self) -> int | None:
        capacity = self.cleaned_data.get("capacity")
        if capacity is not None and capacity <= 0:
            raise forms.ValidationError(_("Capacity must be a positive number."))
        return capacity

    def clean(self) -> dict:
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        mode, venue = data.get("mode"), data.get("venue")
        if mode in (DeliveryMode.OFFLINE, DeliveryMode.BLENDED) and venue is None and "venue" not in self.errors:
            self.add_error("venue", _("An offline or blended session needs a venue."))
        if mode in (DeliveryMode.LIVE, DeliveryMode.BLENDED) and not data.get("stream_url") and (
            "stream_url" not in self.errors
        ):
            self.add_error("stream_url", _("A live or blended session needs a stream link."))
        if data.get("replay_until") and not data.get("replay_url"):
            self.add_error("replay_url", _("Give the replay link for the replay window."))
        if starts_at and ends_at:
            if ends_at <= starts_at:
                self.add_error("ends_at", _("The session must end after it starts."))
            elif not self.errors:
                self.check_rules(data)
        return data

    def proposal(self, data: dict) -> scheduling.Proposal:
        return scheduling.Proposal(
            starts_at=data["starts_at"], ends_at=data["ends_at"], venue=data.get("venue"),
            lecturer=data.get("lecturer"), capacity=data.get("capacity"), exclude_pk=self.instance.pk,
        )

    def check_rules(self, data: dict) -> None:
        problems = scheduling.check(self.proposal(data))
        for name, messages in problems.by_field.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class SeriesForm(SessionForm):
    """A weekly series: the first occurrence's details plus how many weeks."""

    submit_label = _("Create series")

    weeks = forms.IntegerField(label=_("Number of occurrences"), min_value=2, max_value=26, initial=6)
    every = forms.IntegerField(label=_("Every … weeks"), min_value=1, max_value=4, initial=1)

    def extra_layout(self) -> list:
        return [Row(Column("weeks", css_class="col-md-3"), Column("every", css_class="col-md-3"))]

    def check_rules(self, data: dict) -> None:
        # Each occurrence is checked by the series service, which names the clashing dates.
        return None


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("starts at"), widget=DateTimeLocalInput(),
                                    input_formats=[DATETIME_FORMAT])
    ends_at = forms.DateTimeField(label=_("ends at"), widget=DateTimeLocalInput(), input_formats=[DATETIME_FORMAT])

    def __init__(self, *args, session: Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("starts_at", css_class="col-md-6"), Column("ends_at", css_class="col-md-6")),
            Submit("save", _("Reschedule"), css_class="btn-danger w-auto px-4"),
        )

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        if data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The session must end after it starts."))
            return data
        problems = scheduling.check(scheduling.Proposal(
            starts_at=data["starts_at"], ends_at=data["ends_at"], venue=self.session.venue,
            lecturer=self.session.lecturer, capacity=self.session.capacity, exclude_pk=self.session.pk,
        ))
        for name, messages in problems.by_field.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["name", "kind", "year", "organiser", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = Organisation.objects.visible_to(user, "sessions.schedule").exclude(
            kind__in=Organisation.BRANCH_KINDS
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("kind", css_class="col-md-3"),
                Column("year", css_class="col-md-3")),
            "organiser", "description", Submit("save", _("Save programme"), css_class="btn-danger w-auto px-4"),
        )


class CourseForm(forms.ModelForm):
    target_categories = forms.MultipleChoiceField(
        label=_("Target categories"), choices=Category.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked means every category."),
    )
    target_subtypes = forms.MultipleChoiceField(
        label=_("两企三新 subtypes"), choices=NewSectorSubtype.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Only for courses aimed at 两企三新; none ticked means all."),
    )

    class Meta:
        model = Course
        fields = ["title", "programme", "topics", "target_categories", "target_subtypes", "credited_hours", "mode",
                  "lecturer", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user, "sessions.schedule")
        programmes = Programme.objects.filter(scope.q("organiser__path") if scope else Q(pk__in=[]))
        programmes = programmes.order_by("-year", "name")
        self.fields["programme"].queryset = programmes
        # The field's own queryset: lecturers sit above training, which never names their model.
        self.fields["lecturer"].queryset = self.fields["lecturer"].queryset.filter(is_active=True).order_by("name")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("title", css_class="col-md-6"), Column("programme", css_class="col-md-6")),
            "topics",
            Row(Column("target_categories", css_class="col-md-6"), Column("target_subtypes", css_class="col-md-6")),
            Row(Column("credited_hours", css_class="col-md-4"), Column("mode", css_class="col-md-4"),
                Column("lecturer", css_class="col-md-4")),
            "description", Submit("save", _("Save course"), css_class="btn-danger w-auto px-4"),
        )

    def clean_credited_hours(self):
        hours = self.cleaned_data["credited_hours"]
        if hours is not None and hours <= 0:
            raise forms.ValidationError(_("Credited hours must be more than zero."))
        return hours

    def clean(self) -> dict:
        data = super().clean()
        if data.get("target_subtypes") and Category.NEW_SECTOR not in (data.get("target_categories") or []):
            self.add_error("target_subtypes", _("Subtypes only apply when the course is aimed at 两企三新."))
        return data


class CohortForm(forms.Form):
    """Choose a cohort; the preview count is shown before anything is enrolled."""

    FLAG_CHOICES = [("backbone", _("Backbone members")), ("mobile", _("Mobile members (流动党员)")),
                    ("elderly", _("Elderly or infirm"))]

    categories = forms.MultipleChoiceField(label=_("Categories"), choices=Category.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    subtypes = forms.MultipleChoiceField(label=_("两企三新 subtypes"), choices=NewSectorSubtype.choices,
                                         required=False, widget=forms.CheckboxSelectMultiple)
    organisation = forms.ModelChoiceField(label=_("Within organisation"), queryset=Organisation.objects.none(),
                                          required=False)
    positions = forms.MultipleChoiceField(label=_("Positions"), choices=Member.Position.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    flags = forms.MultipleChoiceField(label=_("Only members who are"), choices=FLAG_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    not_reached = forms.BooleanField(label=_("Not yet reached this year"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user, "sessions.schedule").filter(depth__lte=3)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("categories", css_class="col-md-4"), Column("subtypes", css_class="col-md-4"),
                Column("positions", css_class="col-md-4")),
            Row(Column("organisation", css_class="col-md-6"), Column("flags", css_class="col-md-3"),
                Column("not_reached", css_class="col-md-3")),
        )


class QuotaForm(forms.Form):
    """Places per street for a party-school class: one number per organisation, blank for none."""

    def __init__(self, *args, organisations=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.organisations = list(organisations)
        for organisation in self.organisations:
            self.fields[f"org_{organisation.pk}"] = forms.IntegerField(
                label=organisation.name, min_value=1, required=False, initial=current.get(organisation.pk)
            )

    def places(self) -> dict[int, int | None]:
        return {org.pk: self.cleaned_data.get(f"org_{org.pk}") for org in self.organisations}

