"""`manage.py grant`: the operator's way to give a first role, through the audited actions."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories
from training.organisation.access import scope_for
from training.organisation.models import AuditEntry, Grant, Organisation

pytestmark = pytest.mark.django_db
R = Grant.Role


def grant(*args) -> str:
    out = StringIO()
    call_command("grant", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def admin(db):
    return factories.user("root", is_superuser=True, is_staff=True)


def test_grant_gives_the_role_and_the_audit_trail_names_the_superuser(district, admin):
    zhang = factories.user("zhang")
    output = grant("zhang", "organiser", district.street_a.name, "--until", "2030-06-30", "--unmask-phones")
    held = Grant.objects.get(user=zhang)
    assert (held.role, held.organisation, held.ends_on, held.can_unmask_phones) == (
        R.ORGANISER, district.street_a, date(2030, 6, 30), True)
    assert "Granted: zhang" in output and "甲街道党工委" in output
    assert scope_for(zhang, "sessions.schedule").paths == (district.street_a.path,)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GRANT)
    assert entry.user == admin and entry.new.startswith("organiser @ 甲街道党工委, ends 2030-06-30")


def test_running_it_again_changes_the_same_grant_and_revoke_takes_it_away(district, admin):
    zhang = factories.user("zhang")
    grant("zhang", "leader", str(district.root.pk), "--until", "2030-01-01")
    assert "Updated" in grant("zhang", "leader", str(district.root.pk))
    held = Grant.objects.get(user=zhang)
    assert held.ends_on is None and not held.can_unmask_phones
    assert "Revoked" in grant("zhang", "leader", district.root.name, "--revoke")
    assert not Grant.objects.filter(user=zhang).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.GRANT).count() == 3
    with pytest.raises(CommandError, match="holds no leader grant"):
        grant("zhang", "leader", district.root.name, "--revoke")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody-here", "leader", "新区党工委"), "No user 'nobody-here'"),
        (("zhang", "boss", "新区党工委"), "Unknown role 'boss': use one of organiser, secretary"),
        (("zhang", "leader", "不存在的组织"), "No organisation named '不存在的组织'"),
        (("zhang", "leader", "999999"), "No organisation with id 999999"),
        (("zhang", "leader", "新区党工委", "--until", "31/12/2030"), "--until must be a date as YYYY-MM-DD"),
        (("zhang", "secretary", "甲街道党工委"), "支部书记所属组织必须是党支部"),  # the model's own message
        (("zhang", "leader", "新区党工委", "--by", "zhang"), "no active superuser of that name"),
    ],
)
def test_clear_errors_and_nothing_written(district, admin, args, message):
    factories.user("zhang")
    with pytest.raises(CommandError, match=message):
        grant(*args)
    assert not Grant.objects.filter(user__username="zhang").exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.GRANT).exists()


def test_organisations_sharing_a_name_are_listed_with_their_ids(district, admin):
    factories.user("zhang")
    twin = factories.organisation("甲社区第一党支部", Organisation.Kind.BRANCH, district.street_b)
    with pytest.raises(CommandError) as raised:
        grant("zhang", "secretary", "甲社区第一党支部")
    message = str(raised.value)
    assert "2 organisations are named '甲社区第一党支部'" in message
    assert f"{district.branch_a1.pk}  甲社区第一党支部" in message and "under 甲社区党委" in message
    assert f"{twin.pk}  甲社区第一党支部" in message and "under 乙街道党工委" in message
    grant("zhang", "secretary", str(twin.pk))
    assert Grant.objects.get(user__username="zhang").organisation == twin


def test_the_acting_superuser_is_the_only_one_or_named(district):
    factories.user("zhang")
    with pytest.raises(CommandError, match="createsuperuser"):
        grant("zhang", "leader", "新区党工委")
    factories.user("root", is_superuser=True)
    second = factories.user("root2", is_superuser=True)
    with pytest.raises(CommandError, match=r"Several superusers \(root, root2\): name the one acting with --by"):
        grant("zhang", "leader", "新区党工委")
    grant("zhang", "leader", "新区党工委", "--by", "root2")
    assert AuditEntry.objects.get(action=AuditEntry.Action.GRANT).user == second
