"""The audit trail (等保 2.0 8.1.4.3): append-only in the ORM, the admin and PostgreSQL; kept for
``AUDIT_RETENTION_DAYS`` then purged nightly; read and downloaded by the security auditor; grant
changes recorded with old → new."""

import importlib
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from tests import factories
from training.organisation.actions import revoke_grant, save_grant
from training.organisation.audit import audit
from training.organisation.models import AuditEntry, Grant
from training.organisation.tasks import purge_expired_audit_entries

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
SHANGHAI = ZoneInfo("Asia/Shanghai")
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only")


def entry(days_old: float = 0, **fields) -> AuditEntry:
    """An entry written ``days_old`` days ago (only the audit API writes entries in the product)."""
    values = {"action": AuditEntry.Action.VIEW, "target": "/members/", "username": "someone",
              "at": timezone.now() - timedelta(days=days_old)}
    return AuditEntry.objects.create(**(values | fields))


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:training_auditentry_{view}", args=args)


@pytest.fixture
def auditor(district):
    return factories.user("auditor", Grant.Role.AUDITOR, district.root)


# --- append-only ----------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_an_entry(personas):
    row = audit(personas["organiser"], AuditEntry.Action.EXPORT, "党员名册", old="a", new="b")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=row.pk).update(target="nothing happened")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=row.pk).delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    row.target = "nothing happened"
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    stored = AuditEntry.objects.get(pk=row.pk)
    assert (stored.target, stored.old, stored.new, stored.username) == ("党员名册", "a", "b", "organiser_a")


def test_a_deleted_account_leaves_its_entries_with_the_user_name(district):
    account = factories.user("leaving", Grant.Role.LEADER, district.root)
    row = audit(account, AuditEntry.Action.LOGIN, "login")
    account.delete()  # SET NULL is the one change an entry takes, on PostgreSQL too
    row = AuditEntry.objects.get(pk=row.pk)
    assert row.user_id is None and row.username == "leaving"


@on_postgresql
def test_postgresql_refuses_update_always_and_delete_within_retention():
    fresh, expired = entry(days_old=1), entry(days_old=181)
    table = AuditEntry._meta.db_table
    for statement, pk in [
        (f"UPDATE {table} SET target = 'rewritten' WHERE id = %s", fresh.pk),
        (f"UPDATE {table} SET target = 'rewritten' WHERE id = %s", expired.pk),
        (f"UPDATE {table} SET user_id = NULL, username = 'someone else' WHERE id = %s", fresh.pk),
        (f"DELETE FROM {table} WHERE id = %s", fresh.pk),
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [pk])
    assert AuditEntry.objects.get(pk=fresh.pk).target == "/members/"
    assert AuditEntry.objects.get(pk=expired.pk).target == "/members/"

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [expired.pk])
    assert not AuditEntry.objects.filter(pk=expired.pk).exists()
    assert AuditEntry.objects.filter(pk=fresh.pk).exists()


# --- retention ------------------------------------------------------------------------------


def test_purge_deletes_only_expired_entries_and_twice_deletes_once(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    old, kept_half_year, recent = entry(days_old=400), entry(days_old=200), entry(days_old=1)
    assert AuditEntry.objects.purge_expired() == 1
    assert AuditEntry.objects.purge_expired() == 0
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {kept_half_year.pk, recent.pk}
    assert not AuditEntry.objects.filter(pk=old.pk).exists()

    settings.AUDIT_RETENTION_DAYS = 180
    assert purge_expired_audit_entries.delay().get() == 1  # the nightly task, eager here
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_retention_task_is_scheduled_every_night():
    from jiangbei.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE["audit-retention"]
    assert schedule["task"] == purge_expired_audit_entries.name
    assert schedule["schedule"].hour == {3}  # a crontab: once a day
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert purge_expired_audit_entries.name in app.tasks


def _settings_probe(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "AUDIT_RETENTION_DAYS"}}
    code = "import django; django.setup(); from django.conf import settings; print(settings.AUDIT_RETENTION_DAYS)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=clean | {"DJANGO_SETTINGS_MODULE": "jiangbei.settings", "DEBUG": "1"} | env)


def test_retention_is_at_least_the_minimum_the_trigger_enforces():
    assert _settings_probe().stdout.strip() == "365"
    assert _settings_probe(AUDIT_RETENTION_DAYS="180").stdout.strip() == "180"
    refused = _settings_probe(AUDIT_RETENTION_DAYS="179")
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "AUDIT_RETENTION_DAYS" in refused.stderr
    migration = importlib.import_module("training.migrations.0005_audit_append_only")
    assert migration.MINIMUM_RETENTION_DAYS == settings.AUDIT_RETENTION_MINIMUM_DAYS == 180


# --- the admin: read-only for everyone --------------------------------------------------------


def test_admin_offers_a_superuser_no_add_change_or_delete(rf, personas, client_as):
    row = audit(personas["organiser"], AuditEntry.Action.UNMASK, "member T000001", old="138****5678",
                new="13812345678")
    request = rf.get("/admin/")
    request.user = personas["superuser"]
    model_admin = admin.site._registry[AuditEntry]
    assert model_admin.has_view_permission(request, row)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    assert "delete_selected" not in model_admin.get_actions(request)

    client = client_as("superuser")
    listing = client.get(admin_url("changelist"))
    assert listing.status_code == 200
    page = client.get(admin_url("change", row.pk))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    text = page.content.decode()
    assert "138****5678" in text and "13812345678" in text and "organiser_a" in text

    assert client.get(admin_url("add")).status_code == 403
    assert client.post(admin_url("change", row.pk), {"target": "rewritten", "_save": "1"}).status_code == 403
    assert client.get(admin_url("delete", row.pk)).status_code == 403
    assert client.post(admin_url("delete", row.pk), {"post": "yes"}).status_code == 403
    client.post(admin_url("changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    stored = AuditEntry.objects.get(pk=row.pk)
    assert (stored.target, stored.new) == ("member T000001", "13812345678")


def test_admin_list_filters_and_searches_by_user_name_and_target(personas, client_as):
    audit(personas["organiser"], AuditEntry.Action.EXPORT, "coverage.xlsx 甲街道")
    audit(personas["leader"], AuditEntry.Action.VIEW, "/members/")
    client = client_as("superuser")
    found = client.get(admin_url("changelist"), {"q": "organiser_a"})
    assert [e.target for e in found.context["cl"].result_list] == ["coverage.xlsx 甲街道"]
    found = client.get(admin_url("changelist"), {"q": "/members/"})
    assert [e.username for e in found.context["cl"].result_list] == ["leader"]
    found = client.get(admin_url("changelist"), {"action__exact": "export"})
    assert found.context["cl"].result_count == 1


def staff_with(*codenames: str):
    """A staff account holding Django permissions which, for these models, are not enough."""
    staff = factories.user("staff", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="training", codename__in=codenames))
    return staff


def test_admin_of_the_trail_is_closed_to_staff_who_are_not_superusers(district, rf, client):
    row = audit(None, AuditEntry.Action.LOGIN_FAILED, "login", username="guess")
    request = rf.get("/admin/")
    request.user = staff_with("view_auditentry", "change_auditentry", "delete_auditentry")
    model_admin = admin.site._registry[AuditEntry]
    assert not model_admin.has_view_permission(request, row)
    assert not model_admin.has_change_permission(request, row)
    client.force_login(request.user)
    assert client.get(admin_url("changelist")).status_code in (302, 403)  # refused, or sent to log in again
    assert client.get(admin_url("change", row.pk)).status_code in (302, 403)


# --- grants: each change leaves old → new ------------------------------------------------------


def test_grant_changes_through_the_admin_leave_old_and_new(district, personas, client_as):
    client, person = client_as("superuser"), factories.user("getang")
    add = client.post(reverse("admin:training_grant_add"), {
        "user": person.pk, "role": Grant.Role.ORGANISER, "organisation": district.street_a.pk, "ends_on": "",
    })
    assert add.status_code == 302, add.context["adminform"].form.errors
    grant = Grant.objects.get(user=person)

    change = client.post(reverse("admin:training_grant_change", args=[grant.pk]), {
        "user": person.pk, "role": Grant.Role.ORGANISER, "organisation": district.street_a.pk,
        "ends_on": "2026-06-30", "can_unmask_phones": "on",
    })
    assert change.status_code == 302, change.context["adminform"].form.errors
    unchanged = client.post(reverse("admin:training_grant_change", args=[grant.pk]), {
        "user": person.pk, "role": Grant.Role.ORGANISER, "organisation": district.street_a.pk,
        "ends_on": "2026-06-30", "can_unmask_phones": "on",
    })
    assert unchanged.status_code == 302
    delete = client.post(reverse("admin:training_grant_delete", args=[grant.pk]), {"post": "yes"})
    assert delete.status_code == 302 and not Grant.objects.filter(pk=grant.pk).exists()

    rows = list(AuditEntry.objects.filter(action=AuditEntry.Action.GRANT).order_by("pk"))
    assert [(row.old, row.new) for row in rows] == [
        ("", "organiser @ 甲街道党工委, ends —"),
        ("organiser @ 甲街道党工委, ends —", "organiser @ 甲街道党工委, ends 2026-06-30, full phone numbers"),
        ("organiser @ 甲街道党工委, ends 2026-06-30, full phone numbers", ""),
    ]
    assert {row.target for row in rows} == {f"grant {grant.pk}: getang"}
    assert {row.username for row in rows} == {"root"}


def test_bulk_revoking_grants_in_the_admin_audits_each(district, personas, client_as):
    grants = list(Grant.objects.filter(user__in=[personas["secretary_a1"], personas["secretary_b1"]]))
    response = client_as("superuser").post(reverse("admin:training_grant_changelist"), {
        "action": "delete_selected", "_selected_action": [g.pk for g in grants], "post": "yes",
    })
    assert response.status_code == 302
    assert not Grant.objects.filter(pk__in=[g.pk for g in grants]).exists()
    assert sorted(AuditEntry.objects.filter(action=AuditEntry.Action.GRANT).values_list("old", flat=True)) == [
        "secretary @ 乙社区联合党支部, ends —", "secretary @ 甲社区第一党支部, ends —",
    ]


def test_only_a_superuser_changes_grants(district, personas, rf, client):
    grant = Grant.objects.get(user=personas["leader"])
    with pytest.raises(PermissionDenied):
        save_grant(Grant(user=personas["nobody"], role=Grant.Role.LEADER, organisation=district.root),
                   by=personas["organiser"])
    with pytest.raises(PermissionDenied):
        revoke_grant(grant, by=personas["organiser"])
    request = rf.get("/admin/")
    request.user = staff_with("view_grant", "add_grant", "change_grant", "delete_grant")
    model_admin = admin.site._registry[Grant]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, grant)
    assert not model_admin.has_delete_permission(request, grant)
    client.force_login(request.user)
    assert client.get(reverse("admin:training_grant_add")).status_code in (302, 403)
    assert client.post(reverse("admin:training_grant_delete", args=[grant.pk]), {"post": "yes"}).status_code in (302, 403)
    assert Grant.objects.filter(pk=grant.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.GRANT).exists()


# --- the viewer -------------------------------------------------------------------------------


@pytest.fixture
def trail(personas):
    """Entries on three days around 5 March 2025 (local time), by two users."""
    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)

    return {
        "late_4th": entry(at=at(4, 23, 30), username="organiser_a", action=AuditEntry.Action.EXPORT,
                          target="coverage.xlsx 甲街道", address="10.0.0.4"),
        "on_5th": entry(at=at(5, 10), username="secretary_a1", action=AuditEntry.Action.VIEW,
                        target="/members/?q=张", address="10.0.0.5"),
        "unmask_5th": entry(at=at(5, 11), username="organiser_a", action=AuditEntry.Action.UNMASK,
                            target="member T000001", old="138****5678", new="13812345678"),
        "early_6th": entry(at=at(6, 0, 30), username="secretary_a1", action=AuditEntry.Action.CORRECTION,
                           target="session 7", detail="present → absent"),
    }


# Signing in may leave a login entry of its own: the viewer's checks look past those.
SIGN_IN = {AuditEntry.Action.LOGIN, AuditEntry.Action.LOGOUT}


def listed(response) -> list[int]:
    return [row.pk for row in response.context["page"].object_list if row.action not in SIGN_IN]


def sheet_rows(response) -> list[tuple]:
    with translation.override("zh-hans"):
        sign_in = {str(AuditEntry.Action(action).label) for action in SIGN_IN}
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    return rows[:1] + [row for row in rows[1:] if row[2] not in sign_in]


def test_viewer_lists_newest_first_and_filters(auditor, trail, client):
    client.force_login(auditor)
    url = reverse("audit_list")
    everything = client.get(url)
    assert everything.status_code == 200
    assert listed(everything) == [trail[k].pk for k in ("early_6th", "unmask_5th", "on_5th", "late_4th")]
    text = everything.content.decode()
    assert "10.0.0.5" in text and "138****5678 → 13812345678" in text
    assert 'class="table table-hover align-middle table-stack"' in text  # cards on a phone

    assert listed(client.get(url, {"user": "ORGANISER"})) == [trail["unmask_5th"].pk, trail["late_4th"].pk]
    assert listed(client.get(url, {"action": "unmask"})) == [trail["unmask_5th"].pk]
    assert listed(client.get(url, {"target": "members"})) == [trail["on_5th"].pk]
    # A date range is whole local days: 23:30 on the 4th and 00:30 on the 6th fall outside the 5th.
    assert listed(client.get(url, {"start": "2025-03-05", "end": "2025-03-05"})) == [
        trail["unmask_5th"].pk, trail["on_5th"].pk]
    assert listed(client.get(url, {"start": "2025年3月6日"})) == [trail["early_6th"].pk]
    assert listed(client.get(url, {"user": "secretary", "end": "2025-03-05"})) == [trail["on_5th"].pk]

    refused = client.get(url, {"start": "2025-03-06", "end": "2025-03-05"})
    assert listed(refused) == [] and refused.context["form"].errors["end"]
    assert listed(client.get(url, {"start": "someday"})) == []


def test_viewer_pages_by_fifty(auditor, client):
    for index in range(61):
        entry(days_old=index / 100, target=f"page test {index}")
    client.force_login(auditor)
    first = client.get(reverse("audit_list"), {"target": "page test"})
    assert len(listed(first)) == 50 and first.context["page"].paginator.num_pages == 2
    assert first.context["page"].object_list[0].target == "page test 0"
    second = client.get(reverse("audit_list"), {"target": "page test", "page": 2})
    assert [row.target for row in second.context["page"].object_list][-1] == "page test 60"


def test_download_has_the_same_filters_and_is_audited(auditor, trail, client):
    client.force_login(auditor)
    response = client.get(reverse("audit_export"), {"user": "organiser", "start": "2025-03-05"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = sheet_rows(response)
    assert rows[0][:4] == ("时间", "用户名", "操作", "对象")
    assert rows[1:] == [
        ("2025-03-05 11:00:00", "organiser_a", "查看完整手机号码", "member T000001", None, "138****5678",
         "13812345678", None),
    ]

    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, target="审计日志")
    assert (exported.user, exported.username, exported.address) == (auditor, "auditor", "127.0.0.1")
    assert "start=2025-03-05" in exported.detail

    rows = sheet_rows(client.get(reverse("audit_export")))
    # Newest first: the first download is in the second.
    assert [row[3] for row in rows[1:3]] == ["审计日志", "session 7"] and len(rows) == 1 + 5
    assert client.get(reverse("audit_export"), {"end": "not a date"}).status_code == 400


def test_a_formula_in_an_entry_stays_text_in_the_download(auditor, client):
    entry(target="=HYPERLINK(\"http://evil\")")
    client.force_login(auditor)
    rows = sheet_rows(client.get(reverse("audit_export")))
    assert rows[1][3] == "'=HYPERLINK(\"http://evil\")"


@pytest.mark.parametrize("persona", ["organiser", "secretary_a1", "leader", "nobody"])
def test_viewer_and_download_are_refused_without_audit_view(persona, trail, client_as):
    client = client_as(persona)
    assert client.get(reverse("audit_list")).status_code == 403
    assert client.get(reverse("audit_export")).status_code == 403
    assert not AuditEntry.objects.filter(target="审计日志").exists()


def test_superusers_read_the_trail_and_anonymous_users_log_in(trail, client, client_as):
    response = client.get(reverse("audit_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client_as("superuser").get(reverse("audit_list")).status_code == 200


def test_the_auditor_lands_on_the_trail(auditor, client):
    client.force_login(auditor)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("audit_list")
