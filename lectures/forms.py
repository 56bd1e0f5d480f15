"""Forms for the outreach pages; errors are shown in Chinese next to their field."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiangbei.forms import DateTimeLocalInput
from lectures import services
from lectures.models import Feedback, Lecture, Lecturer, LectureRequest, VolunteerService
from training.organisation.access import scope_for
from training.organisation.models import Member, Organisation, mask_phone


def _helper(label) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    submit = Submit("submit", label)
    submit.field_classes = "btn btn-danger"
    helper.add_input(submit)
    return helper


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero or more photos, each checked with Pillow (type, size, pixels)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        for upload in files:
            services.validate_photo(upload)
        return files


class LectureRequestForm(forms.ModelForm):
    """点单: what, where, when, for whom."""

    class Meta:
        model = LectureRequest
        fields = ["requester_kind", "topic", "scene", "preferred_start", "preferred_end", "expected_audience", "dialect", "notes"]
        widgets = {"preferred_start": DateTimeLocalInput(), "preferred_end": DateTimeLocalInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, requesters=None, **kwargs):
        super().__init__(*args, **kwargs)
        if requesters is not None:
            self.fields["requester"] = forms.ModelChoiceField(requesters, label=_("requesting organisation"))
            self.order_fields(["requester"])
        self.fields["expected_audience"].min_value = 0
        self.fields["requester_kind"].initial = LectureRequest.RequesterKind.COMMUNITY
        self.fields["topic"].widget.attrs["list"] = "topic-menu"
        self.fields["topic"].help_text = _("Choose from the menu of topics our lecturers give, or type your own.")
        self.helper = _helper(_("Order the lecture"))

    def clean_preferred_start(self):
        start = self.cleaned_data["preferred_start"]
        if start <= timezone.now():
            raise ValidationError(_("The preferred date has already passed: choose a future date."))
        return start

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("preferred_start"), cleaned.get("preferred_end")
        if start and end and end <= start:
            self.add_error("preferred_end", _("The end must be after the start."))
        return cleaned


def topic_menu() -> list[str]:
    """The topics the active lecturers give: the menu a requester orders from."""
    topics = set()
    for text in Lecturer.objects.filter(is_active=True).values_list("topics", flat=True):
        topics.update(services.words(text))
    return sorted(topics)


class DispatchForm(forms.Form):
    lecturer = forms.ModelChoiceField(Lecturer.objects.filter(is_active=True), label=_("lecturer"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255, required=False)


class LectureForm(forms.ModelForm):
    """A lecture with its headcount and optional photos."""

    photos = PhotosField(label=_("photos (optional)"))

    class Meta:
        model = Lecture
        fields = ["topic", "lecturers", "scene", "street", "venue", "location", "starts_at", "ends_at", "audience_headcount", "dialect"]
        widgets = {"starts_at": DateTimeLocalInput(), "ends_at": DateTimeLocalInput(), "lecturers": forms.SelectMultiple(attrs={"size": 6})}

    def __init__(self, *args, streets=None, request_obj: LectureRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_obj = request_obj
        self.fields["lecturers"].queryset = Lecturer.objects.filter(is_active=True)
        self.fields["audience_headcount"] = forms.IntegerField(
            label=_("audience headcount"), initial=0, help_text=_("Everyone present, members and the public.")
        )
        self.fields["lecturers"].help_text = _("Hold Ctrl (or ⌘) to choose more than one.")
        if streets is not None:
            self.fields["street"].queryset = streets
            only = list(streets[:2])
            if len(only) == 1 and not self.instance.pk:
                self.fields["street"].initial = only[0].pk
        if request_obj is not None:
            del self.fields["street"]
            self.fields["lecturers"].required = False
        self.helper = _helper(_("Save the lecture"))

    def clean_audience_headcount(self) -> int:
        value = self.cleaned_data["audience_headcount"]
        if value < 0:
            raise ValidationError(_("The audience headcount cannot be negative."))
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The end must be after the start."))
        if not cleaned.get("venue") and not cleaned.get("location"):
            self.add_error("location", _("Choose a venue or describe the place."))
        return cleaned


class LecturerForm(forms.ModelForm):
    """A lecturer in the pool; the photo is optional and re-encoded on save."""

    new_photo = forms.FileField(label=_("photo (optional)"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp"}
    ))

    class Meta:
        model = Lecturer
        fields = ["name", "kind", "affiliation", "street", "topics", "dialects", "bio", "in_xinghuo", "in_baiqianwan",
                  "phone", "is_active"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"topics": _("Separate topics with 、"), "dialects": _("Separate dialects with 、")}

    def __init__(self, *args, own_profile: bool = False, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if own_profile:  # a lecturer keeps their own topics, dialects, bio and availability up to date
            for name in ["name", "kind", "affiliation", "street", "in_xinghuo", "in_baiqianwan"]:
                del self.fields[name]
        else:
            # A street's organiser keeps its own lecturers; the district's office may leave the street empty.
            scope = scope_for(user, "lecturers.manage")
            streets = Organisation.objects.visible_to(user, "lecturers.manage").streets()
            self.fields["street"].queryset = streets.order_by("path")
            self.fields["street"].required = not (scope and scope.district_wide)
        if self.instance.pk and self.instance.phone:
            # Phones are shown masked: the stored number stays unless a new one is typed.
            self.initial["phone"] = ""
            self.fields["phone"].widget.attrs["placeholder"] = mask_phone(self.instance.phone)
            self.fields["phone"].help_text = _("Leave empty to keep the current number.")
        self.helper = _helper(_("Save"))

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        if not phone:
            return self.instance.phone if self.instance.pk else ""
        if not re.fullmatch(r"1\d{10}|0\d{2,3}-?\d{7,8}", phone):
            raise ValidationError(_("Enter a mobile number of 11 digits or a landline such as 025-58888888."))
        return phone

    def clean_new_photo(self):
        upload = self.cleaned_data.get("new_photo")
        if upload:
            services.validate_photo(upload)
        return upload

    def save(self, commit: bool = True) -> Lecturer:
        lecturer = super().save(commit=False)
        if self.cleaned_data.get("new_photo"):
            services.save_lecturer_photo(lecturer, self.cleaned_data["new_photo"])
        if commit:
            lecturer.save()
        return lecturer


class PhotoForm(forms.Form):
    photos = PhotosField(label=_("photos"))

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if not photos:
            raise ValidationError(_("Choose at least one photo."))
        return photos


class MembersPresentForm(forms.Form):
    """Members present, by member number (one a line, or separated by commas or spaces)."""

    member_numbers = forms.CharField(
        label=_("member numbers"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One member number a line, or separated by commas or spaces."),
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members if members is not None else Member.objects.none()

    def clean_member_numbers(self) -> list[Member]:
        numbers = [n for n in re.split(r"[\s,，、;；]+", self.cleaned_data["member_numbers"]) if n]
        if len(numbers) > 2000:
            raise ValidationError(_("At most 2000 members at a time."))
        found = {m.member_number: m for m in self.members.filter(member_number__in=numbers).active()}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise ValidationError(
                _("Unknown member numbers (or outside your organisation): %(numbers)s")
                % {"numbers": "、".join(missing[:20])}
            )
        return list(found.values())


class FeedbackForm(forms.ModelForm):
    rating = forms.TypedChoiceField(
        label=_("How was the lecture?"), coerce=int,
        choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5 stars."), "invalid_choice": _("Choose a rating from 1 to 5 stars.")},
    )

    class Meta:
        model = Feedback
        fields = ["rating", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}
        labels = {"comment": _("Your comment (optional)")}


class VolunteerServiceForm(forms.ModelForm):
    class Meta:
        model = VolunteerService
        fields = ["kind", "member", "team_name", "street", "date", "hours", "beneficiaries", "lecture", "course", "description"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, streets=None, lectures=None, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if streets is not None:
            self.fields["street"].queryset = streets
        if lectures is not None:
            self.fields["lecture"].queryset = lectures
        self.fields["member"] = forms.CharField(
            label=_("member number"), required=False, help_text=_("Leave empty for a team.")
        )
        self.members = members if members is not None else Member.objects.none()
        self.fields["hours"].min_value = 0
        self.fields["beneficiaries"].min_value = 0
        self.helper = _helper(_("Save"))

    def clean_member(self) -> Member | None:
        number = self.cleaned_data["member"].strip()
        if not number:
            return None
        member = self.members.filter(member_number=number).first()
        if member is None:
            raise ValidationError(_("Unknown member number (or outside your organisation)."))
        return member

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is not None and hours <= 0:
            raise ValidationError(_("Hours must be more than zero."))
        return hours

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("member") and not cleaned.get("team_name"):
            self.add_error("team_name", _("Give a member number or a team name."))
        return cleaned


def street_choices(user):
    """Level-one organisations (streets and parks) the user may record for."""
    return Organisation.objects.visible_to(user, "lectures.record").streets()
