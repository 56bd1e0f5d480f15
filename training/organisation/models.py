"""The organisation tree, members and their transfers, policy rules, staff roles and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Concat, Now, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.organisation.access import scoped


class OrganisationQuerySet(models.QuerySet):
    def subtree(self, organisation: Organisation) -> OrganisationQuerySet:
        """The organisation and everything below it: one indexed prefix match."""
        return self.filter(path__startswith=organisation.path)

    def branches(self) -> OrganisationQuerySet:
        return self.filter(kind__in=Organisation.BRANCH_KINDS)

    def streets(self) -> OrganisationQuerySet:
        """Level one of the tree: streets, parks and the sector committees (see ``Organisation.level``)."""
        return self.filter(depth=Organisation.STREET_DEPTH).exclude(kind__in=Organisation.BRANCH_KINDS)

    def visible_to(self, user, capability: str | None = None) -> OrganisationQuerySet:
        """The subtrees where ``user`` holds ``capability`` (any grant when None: names only)."""
        return scoped(self, user, "path", capability)


class Organisation(models.Model):
    """A party organisation: 党工委, 街道/园区党工委, 党委, 党总支, 党支部 or 联合党支部.

    ``path`` is a materialised path of zero-padded primary keys ("000001/000007/"), so a
    subtree is one ``startswith`` on an indexed column; moving an organisation rewrites the
    paths below it in one UPDATE (see ``move_to``).
    """

    class Kind(models.TextChoices):
        WORKING_COMMITTEE = "working_committee", _("Working committee (党工委)")
        STREET = "street", _("Street or park working committee")
        COMMITTEE = "committee", _("Party committee (党委)")
        GENERAL_BRANCH = "general_branch", _("General branch (党总支)")
        BRANCH = "branch", _("Branch (党支部)")
        JOINT_BRANCH = "joint_branch", _("Joint branch (联合党支部)")

    class Sector(models.TextChoices):
        AREA = "area", _("Street or park")
        ORGAN = "organ", _("Government organs")
        SOE = "soe", _("State-owned enterprises")
        NEW_SECTOR = "new_sector", _("Non-public and social organisations")

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street or park")
        COMMITTEE = "committee", _("Committee")
        BRANCH = "branch", _("Branch")

    BRANCH_KINDS = (Kind.BRANCH, Kind.JOINT_BRANCH)
    STREET_DEPTH = 1  # streets, parks and sector committees sit right below the working committee

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices, default=Sector.AREA)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        creating = self.pk is None
        if creating:
            self.path = ""
            super().save(*args, **kwargs)
            self._set_path()
            Organisation.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
        else:
            super().save(*args, **kwargs)

    @staticmethod
    def path_segment(pk: int) -> str:
        return f"{pk:06d}/"

    @property
    def is_branch(self) -> bool:
        return self.kind in self.BRANCH_KINDS

    def _set_path(self) -> None:
        parent_path = self.parent.path if self.parent_id else ""
        self.path = parent_path + self.path_segment(self.pk)
        self.depth = self.path.count("/") - 1

    def clean(self) -> None:
        if self.parent_id and self.pk and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("An organisation cannot be moved below itself.")})

    @transaction.atomic
    def move_to(self, new_parent: Organisation | None) -> None:
        """Re-parent this organisation; members, sessions and attendance keep their links."""
        old_path, old_depth = self.path, self.depth
        if new_parent is not None and new_parent.path.startswith(old_path):
            raise ValidationError(_("An organisation cannot be moved below itself."))
        self.parent = new_parent
        self._set_path()
        self.save(update_fields=["parent"])
        depth_change = self.depth - old_depth
        Organisation.objects.filter(path__startswith=old_path).update(
            path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_change,
        )

    def ancestors(self) -> OrganisationQuerySet:
        return Organisation.objects.filter(pk__in=self._segment_pks()).order_by("depth")

    @property
    def level(self) -> str:
        """Where this organisation sits: the district, a street (level one), a committee, a branch.

        The one definition of a level; ``OrganisationQuerySet.streets`` selects level one.
        """
        if self.depth == 0:
            return self.Level.DISTRICT
        if self.is_branch:
            return self.Level.BRANCH
        if self.depth == self.STREET_DEPTH:
            return self.Level.STREET
        return self.Level.COMMITTEE

    def _segment_pks(self) -> list[int]:
        return [int(segment) for segment in self.path.split("/") if segment]

    def root(self) -> Organisation:
        """The top of the tree this organisation belongs to (the working committee)."""
        pks = self._segment_pks()
        return self if len(pks) == 1 else Organisation.objects.get(pk=pks[0])

    def street(self) -> Organisation | None:
        """The level-one organisation (street, park or sector committee) this one sits under."""
        pks = self._segment_pks()
        if len(pks) <= self.STREET_DEPTH:
            return None
        return self if self.depth == self.STREET_DEPTH else Organisation.objects.get(pk=pks[self.STREET_DEPTH])


class Category(models.TextChoices):
    ORGAN = "organ", _("Government organ (机关)")
    COMMUNITY = "community", _("Community or village (社区/村)")
    SOE = "soe", _("State-owned enterprise (国企)")
    NEW_SECTOR = "new_sector", _("Two enterprises, three new (两企三新)")


class NewSectorSubtype(models.TextChoices):
    MIXED_OWNERSHIP = "mixed_ownership", _("Mixed-ownership enterprise")
    NON_PUBLIC = "non_public", _("Non-public enterprise")
    NEW_ECONOMIC = "new_economic", _("New economic organisation")
    NEW_SOCIAL = "new_social", _("New social organisation")
    NEW_EMPLOYMENT = "new_employment", _("New-employment group")


class MemberQuerySet(models.QuerySet):
    def active(self) -> MemberQuerySet:
        """Members in good standing, probationary members included."""
        return self.filter(status__in=Member.ACTIVE_STATUSES)

    def in_subtree(self, organisation: Organisation) -> MemberQuerySet:
        return self.filter(branch__path__startswith=organisation.path)

    def visible_to(self, user) -> MemberQuerySet:
        return scoped(self, user, "branch__path", "members.view")

    def by_position(self) -> MemberQuerySet:
        """Secretary first, then deputies and committee members, then members."""
        rank = models.Case(
            *(models.When(position=position, then=index) for index, position in enumerate(Member.Position.values)),
            output_field=models.IntegerField(),
        )
        return self.order_by(rank, "member_number")


class Member(models.Model):
    """A party member, as imported from the national member-management system."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Position(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
        COMMITTEE = "committee", _("Committee member")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PROBATIONARY = "probationary", _("Probationary")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        DECEASED = "deceased", _("Deceased")

    LEADING_POSITIONS = (Position.SECRETARY, Position.DEPUTY_SECRETARY, Position.COMMITTEE)
    ACTIVE_STATUSES = (Status.ACTIVE, Status.PROBATIONARY)

    member_number = models.CharField(_("member number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    branch = models.ForeignKey(
        Organisation, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="members"
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    new_sector_subtype = models.CharField(
        _("两企三新 subtype"), max_length=20, choices=NewSectorSubtype.choices, blank=True
    )
    position = models.CharField(
        _("position"), max_length=20, choices=Position.choices, default=Position.MEMBER
    )
    is_mobile = models.BooleanField(_("mobile member (流动党员)"), default=False)
    is_elderly = models.BooleanField(
        _("elderly or infirm (exempt)"),
        default=False,
        help_text=_("No hard attendance requirement; study is brought home (送学上门)."),
    )
    is_backbone = models.BooleanField(_("backbone member"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(_("date joined"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)  # QR check-in by phone

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["member_number"]
        indexes = [
            models.Index(fields=["branch", "status"], name="member_branch_status"),
            models.Index(fields=["category", "status"], name="member_category_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category="new_sector") | Q(new_sector_subtype=""),
                name="member_subtype_only_for_new_sector",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.member_number}）"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_leading(self) -> bool:
        return self.position in self.LEADING_POSITIONS


class MemberTransfer(models.Model):
    """A member's move between branches, kept as history; their attendance follows them to the new
    branch (``training.attendance.copies``), so each branch's figures count the members it has."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="transfers")
    from_branch = models.ForeignKey(
        Organisation, verbose_name=_("from branch"), on_delete=models.PROTECT, related_name="+"
    )
    to_branch = models.ForeignKey(Organisation, verbose_name=_("to branch"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("member transfer")
        verbose_name_plural = _("member transfers")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_branch_id} → {self.to_branch_id}"


def mask_phone(phone: str) -> str:
    """138****1234: enough to recognise a number, not enough to dial it."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


class PolicyRuleQuerySet(models.QuerySet):
    def in_force(self, year: int) -> PolicyRuleQuerySet:
        return self.filter(effective_from__lte=year).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=year)
        )


class PolicyRule(models.Model):
    """A dated, sourced policy parameter (hour targets, crediting rules, frequencies).

    Numbers live here, never in code: the documents behind them change every few years.
    """

    class Key(models.TextChoices):
        ANNUAL_HOURS_MEMBER = "annual_hours_member", _("Annual study hours, ordinary member")
        ANNUAL_HOURS_LEADING = "annual_hours_leading", _("Annual study hours, secretaries and committee members")
        SECRETARY_ROTATION = "secretary_rotation", _("Secretary rotation training per year")
        NEW_SECRETARY_MONTHS = "new_secretary_months", _("New secretaries trained within (months)")
        HOURS_FULL_DAY = "hours_full_day", _("Hours credited for a full day")
        HOURS_HALF_DAY = "hours_half_day", _("Hours credited for a half day")
        REPLAY_EARNS_HOURS = "replay_earns_hours", _("A replay earns hours (1 = yes)")
        MIN_MINUTES_WATCHED = "min_minutes_watched", _("Minimum minutes watched to earn hours")
        THEME_DAY_PER_YEAR = "theme_day_per_year", _("主题党日 per year")
        GENERAL_MEETING_PER_YEAR = "general_meeting_per_year", _("支部党员大会 per year")
        COMMITTEE_MEETING_PER_YEAR = "committee_meeting_per_year", _("支委会 per year")
        GROUP_MEETING_PER_YEAR = "group_meeting_per_year", _("党小组会 per year")
        PARTY_LECTURE_PER_YEAR = "party_lecture_per_year", _("党课 per year")
        ORG_LIFE_MEETING_PER_YEAR = "org_life_meeting_per_year", _("组织生活会 per year")
        DEMOCRATIC_REVIEW_PER_YEAR = "democratic_review_per_year", _("民主评议党员 per year")
        ELDERLY_EXEMPT = "elderly_exempt", _("Elderly and infirm members exempt (1 = yes)")
        MOBILE_AWAY_MONTHS = "mobile_away_months", _("Mobile member: months away without transfer")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed in the regulation's text")
        REPORTED = "reported", _("Reported by secondary sources")

    key = models.CharField(_("rule"), max_length=40, choices=Key.choices)
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    source = models.CharField(_("source document"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    effective_from = models.PositiveSmallIntegerField(_("effective from (year)"))
    effective_to = models.PositiveSmallIntegerField(_("effective to (year)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = PolicyRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy rule")
        verbose_name_plural = _("policy rules")
        ordering = ["key", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_from"], name="policyrule_one_per_key_and_start"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="policyrule_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value.normalize()} {self.unit}".strip()

    @classmethod
    def hour_targets(cls, year: int) -> dict[bool, Decimal]:
        """{is_leading: annual hour target}: 32 for members, 56 for secretaries and committees."""
        return {
            False: cls.value_for(cls.Key.ANNUAL_HOURS_MEMBER, year),
            True: cls.value_for(cls.Key.ANNUAL_HOURS_LEADING, year),
        }

    @classmethod
    def value_for(cls, key: str, year: int) -> Decimal:
        """The value in force in ``year``; a missing rule is a configuration error."""
        rule = cls.objects.in_force(year).filter(key=key).order_by("-effective_from").first()
        if rule is None:
            raise LookupError(f"No policy rule {key!r} in force in {year}")
        return rule.value


class GrantQuerySet(models.QuerySet):
    def current(self, on=None) -> GrantQuerySet:
        """Grants in force on ``on`` (today): an ended grant gives nothing, not even a calendar feed."""
        on = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on), user__is_active=True)


class Grant(models.Model):
    """One role a user holds over one part of the organisation tree.

    A user may hold several (a community secretary who also orders lectures); what each role
    may do is the table in ``training.organisation.policy``. Superusers need no grant.
    """

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser")
        SECRETARY = "secretary", _("Branch secretary")
        LEADER = "leader", _("Leader")
        LECTURER = "lecturer", _("Lecturer")
        REQUESTER = "requester", _("Lecture requester")
        AUDITOR = "auditor", _("Security auditor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="grants"
    )
    can_unmask_phones = models.BooleanField(_("may see full phone numbers"), default=False)
    ends_on = models.DateField(_("ends on"), null=True, blank=True,
                               help_text=_("Leave empty for a grant without an end date."))

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organisation"], name="grant_once_per_role_and_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"

    def clean(self) -> None:
        if self.role == self.Role.SECRETARY and self.organisation_id and not self.organisation.is_branch:
            raise ValidationError({"organisation": _("A branch secretary's organisation must be a branch.")})


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only.")

    def delete(self):
        raise TypeError("The audit trail is append-only; old entries leave only by the retention job.")

    def expired(self) -> AuditEntryQuerySet:
        """Entries older than ``AUDIT_RETENTION_DAYS``, by the database's clock (as its trigger reads it)."""
        return self.filter(at__lt=Now() - timedelta(days=settings.AUDIT_RETENTION_DAYS))

    def purge_expired(self) -> int:
        """Delete the entries past retention: the one delete the trail allows (nightly task).

        It steps past this queryset's own refusal on purpose; PostgreSQL's trigger still
        refuses any entry younger than the minimum retention. Returns how many were deleted.
        """
        deleted, _per_model = models.QuerySet.delete(self.expired())
        return deleted


class AuditEntry(models.Model):
    """Who did what to which personal data, when and from where (等保 2.0 8.1.4.3, PIPL).

    Append-only: the queryset refuses updates and deletes, the admin shows it read-only and
    PostgreSQL refuses UPDATE and DELETE by trigger, except deleting entries past retention.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        VIEW = "view", _("Personal data viewed")
        EXPORT = "export", _("Export")
        UNMASK = "unmask", _("Unmask phone")
        IMPORT = "import", _("Import")
        ATTENDANCE = "attendance", _("Attendance recorded")
        CHANGE = "change", _("Register data changed")
        CORRECTION = "correction", _("Attendance corrected")
        GRANT = "grant", _("Grant changed")
        RECOMPUTE = "recompute", _("Recompute")
        UNLOCK = "unlock", _("Account unlocked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept apart from the user: a deleted account, or a failed login, still says who.
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    target = models.CharField(_("target"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    old = models.TextField(_("old value"), blank=True)
    new = models.TextField(_("new value"), blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or self.user} {self.action} {self.target}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")
