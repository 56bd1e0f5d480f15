"""Give, change or revoke a role from the command line, through the same actions as the admin.

    manage.py grant zhangsan organiser 葛塘街道党工委 [--until 2026-12-31] [--unmask-phones]
    manage.py grant zhangsan organiser 葛塘街道党工委 --revoke

The grant is (user, role, organisation): running the command again for the same three sets the
end date and the phone flag to what it is given now. The audit trail names the superuser of
``--by``; without it, the one active superuser (the one ``createsuperuser`` made).
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from training.organisation.actions import describe_grant, revoke_grant, save_grant
from training.organisation.models import Grant, Organisation

ROLES = ", ".join(Grant.Role.values)


class Command(BaseCommand):
    help = "Give a user a role over an organisation's subtree (or change or revoke it), audited."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help=f"one of: {ROLES}")
        parser.add_argument("organisation", help="the organisation's name or id")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="last day of the grant (default: no end)")
        parser.add_argument("--unmask-phones", action="store_true",
                            help="may see full phone numbers (roles whose capabilities allow it)")
        parser.add_argument("--revoke", action="store_true", help="take the grant away")
        parser.add_argument("--by", metavar="ADMIN",
                            help="the superuser the audit trail names (default: the only active superuser)")

    def handle(self, *args, username, role, organisation, until, unmask_phones, revoke, by, **options):
        if role not in Grant.Role.values:
            raise CommandError(f"Unknown role {role!r}: use one of {ROLES}.")
        if revoke and (until or unmask_phones):
            raise CommandError("--revoke takes no --until or --unmask-phones.")
        user = self._user(username)
        org = self._organisation(organisation)
        admin = self._admin(by)
        grant = Grant.objects.filter(user=user, role=role, organisation=org).first()
        try:
            if revoke:
                if grant is None:
                    raise CommandError(f"{username} holds no {role} grant over {org.name} (id {org.pk}).")
                description = describe_grant(grant)
                revoke_grant(grant, by=admin)
                self.stdout.write(self.style.SUCCESS(f"Revoked: {username} — {description}"))
                return
            created = grant is None
            grant = grant or Grant(user=user, role=role, organisation=org)
            grant.ends_on = self._date(until)
            grant.can_unmask_phones = unmask_phones
            save_grant(grant, by=admin)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        verb = "Granted" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {username} — {describe_grant(grant)} (grant {grant.pk})"))
        if not user.is_active:
            self.stdout.write(self.style.WARNING(f"{username}'s account is inactive: the grant gives nothing until it is active."))

    @staticmethod
    def _user(username: str):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"No user {username!r}. Create the account first (admin → Users → Add user)."
            ) from None

    @staticmethod
    def _organisation(name_or_id: str) -> Organisation:
        if name_or_id.isdigit():
            found = Organisation.objects.filter(pk=int(name_or_id)).first()
            if found is None:
                raise CommandError(f"No organisation with id {name_or_id}.")
            return found
        matches = list(Organisation.objects.filter(name=name_or_id).select_related("parent").order_by("pk"))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise CommandError(f"No organisation named {name_or_id!r}: give its exact name or its id.")
        listed = "\n".join(
            f"  {org.pk}  {org.name}  ({org.get_kind_display()}, under {org.parent.name if org.parent else '—'})"
            for org in matches
        )
        raise CommandError(f"{len(matches)} organisations are named {name_or_id!r}; give one's id:\n{listed}")

    @staticmethod
    def _admin(username: str | None):
        superusers = get_user_model().objects.filter(is_superuser=True, is_active=True)
        if username:
            admin = superusers.filter(**{get_user_model().USERNAME_FIELD: username}).first()
            if admin is None:
                raise CommandError(f"--by {username}: no active superuser of that name.")
            return admin
        found = list(superusers.order_by("pk")[:2])
        if not found:
            raise CommandError("No active superuser: create one with `manage.py createsuperuser` first.")
        if len(found) > 1:
            names = ", ".join(sorted(superusers.values_list(get_user_model().USERNAME_FIELD, flat=True)))
            raise CommandError(f"Several superusers ({names}): name the one acting with --by.")
        return found[0]

    @staticmethod
    def _date(value: str | None) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--until must be a date as YYYY-MM-DD (got {value!r}).") from None
