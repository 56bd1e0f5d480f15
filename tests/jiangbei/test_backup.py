"""manage.py backup and restore, for real: a demo district backed up, restored into a new
database, and compared table by table; damaged backups refused with nothing changed.

The suite runs on both tiers: the SQLite restore runs in the default tier, the PostgreSQL
restore (real pg_dump and pg_restore, a database created for it) in the services tier.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tomllib
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from devtools.seeding import SCALES, DistrictGenerator
from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell
from training.coverage.rollup import refresh_coverage

pytestmark = pytest.mark.django_db(transaction=True)
YEAR = 2025
PHOTO = "venues/展厅.jpg"
UPLOAD = "imports/2025/03/viewing-log.csv"

on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite restore: runs in the default tier (this run is on PostgreSQL)"
)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL restore: runs in the services tier (this run is on SQLite)"
)
FIGURES = ["year", "organisation_id", "category", "programme_key", "channel", "month", "members_total",
           "members_reached", "person_times", "effective_members", "exempt_members", "leaders_trained"]


@pytest.fixture
def district(transactional_db, settings, tmp_path):
    """The demo district with its coverage roll-up, a venue photo and an import upload."""
    settings.MEDIA_ROOT = tmp_path / "media"
    factories.ensure_policy_rules()
    DistrictGenerator(SCALES["demo"], 1).run()
    refresh_coverage(YEAR)
    for name, content in ((PHOTO, b"\xff\xd8\xff\xe0 a photo"), (UPLOAD, "姓名,党员编号\n张三,T000001\n".encode())):
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    assert Attendance.objects.count() > 1000 and CoverageCell.objects.count() > 100


def backup(tmp_path: Path) -> Path:
    output = tmp_path / "backups"
    call_command("backup", "--output", str(output), stdout=io.StringIO())
    [archive] = output.glob("*.tar")
    return archive


def restore(*arguments: str) -> str:
    out = io.StringIO()
    call_command("restore", *arguments, stdout=out)
    return out.getvalue()


def counts_now() -> dict[str, int]:
    """Every table's rows, counted through the ORM (not through the code under test)."""
    counts = {MigrationRecorder.Migration._meta.db_table: MigrationRecorder.Migration.objects.count()}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._default_manager.count()
    return counts


def figures_now() -> list[tuple]:
    return sorted(CoverageCell.objects.values_list(*FIGURES))


def figures_query() -> str:
    columns = ", ".join(CoverageCell._meta.get_field(name.removesuffix("_id")).column for name in FIGURES)
    return f"SELECT {columns} FROM {CoverageCell._meta.db_table}"


def media_snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def flip_a_byte(archive: Path, member: str) -> None:
    """Change one byte in the middle of a member's contents, as bit rot would."""
    with tarfile.open(archive) as tar:
        info = next(info for info in tar.getmembers() if info.name.endswith("/" + member))
    with open(archive, "r+b") as file:
        file.seek(info.offset_data + info.size // 2)
        byte = file.read(1)
        file.seek(-1, os.SEEK_CUR)
        file.write(bytes([byte[0] ^ 0x01]))


def test_the_manifest_describes_the_backup_and_checksums_every_file(district, tmp_path):
    archive = backup(tmp_path)
    assert archive.name.startswith("jiangbei-backup-") and archive.name.endswith("Z.tar")
    assert archive.stat().st_mode & 0o077 == 0, "a backup holds personal data: readable by its owner only"
    with tarfile.open(archive) as tar:
        contents = {info.name.split("/", 1)[1]: tar.extractfile(info).read() for info in tar.getmembers() if info.isfile()}
    manifest = json.loads(contents["manifest.json"])
    assert contents["manifest.json.sha256"].split()[0].decode() == hashlib.sha256(contents["manifest.json"]).hexdigest()
    database_file = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[connection.vendor]
    assert set(manifest["files"]) == {database_file, f"media/{PHOTO}", f"media/{UPLOAD}"}
    assert set(contents) == set(manifest["files"]) | {"manifest.json", "manifest.json.sha256"}
    for name, entry in manifest["files"].items():
        assert entry == {"sha256": hashlib.sha256(contents[name]).hexdigest(), "size": len(contents[name])}
    with open(django_settings.BASE_DIR / "pyproject.toml", "rb") as file:
        version = tomllib.load(file)["project"]["version"]
    assert manifest["format_version"] == 1 and manifest["app_version"] == version
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["created_at"].endswith("Z") and manifest["created_at"][:13].replace("-", "") in archive.name
    assert manifest["tables"] == counts_now()
    assert contents[f"media/{PHOTO}"] == (django_settings.MEDIA_ROOT / PHOTO).read_bytes()
    out = io.StringIO()
    call_command("restore", str(archive), "--verify-only", stdout=out)
    assert "files match their checksums" in out.getvalue()


@on_sqlite
def test_sqlite_backup_restores_into_a_new_database_with_every_row_figure_and_file(district, tmp_path, settings):
    archive = backup(tmp_path)
    counts, figures = counts_now(), figures_now()
    restored_media = tmp_path / "restored-media"
    (restored_media / "venues").mkdir(parents=True)
    (restored_media / "venues" / "new-since.jpg").write_bytes(b"added after the backup")
    settings.MEDIA_ROOT = restored_media
    target = tmp_path / "restored" / "jiangbei.sqlite3"

    out = restore(str(archive), "--database-url", f"sqlite:///{target}")

    assert "every table's row count matches" in out and "2 media files restored" in out
    with sqlite3.connect(target) as restored:
        restored_counts = {table: restored.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in counts}
        assert restored_counts == counts
        assert sorted(restored.execute(figures_query()).fetchall()) == figures
    assert media_snapshot(restored_media) == {
        PHOTO: b"\xff\xd8\xff\xe0 a photo",
        UPLOAD: "姓名,党员编号\n张三,T000001\n".encode(),
        "venues/new-since.jpg": b"added after the backup",  # not in the backup: left in place
    }

    # The target is not empty now: replacing it takes --yes.
    with pytest.raises(CommandError, match="not empty"):
        restore(str(archive), "--database-url", f"sqlite:///{target}")
    assert "every table's row count matches" in restore(str(archive), "--database-url", f"sqlite:///{target}", "--yes")


@pytest.mark.parametrize("damage", ["database", "media", "manifest", "truncated"])
def test_a_damaged_backup_is_refused_and_nothing_changes(district, tmp_path, damage):
    archive = backup(tmp_path)
    database_file = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[connection.vendor]
    if damage == "truncated":
        with open(archive, "r+b") as file:
            file.truncate(archive.stat().st_size * 2 // 3)
    else:
        flip_a_byte(archive, {"database": database_file, "media": PHOTO, "manifest": "manifest.json"}[damage])
    counts, figures = counts_now(), figures_now()
    media = media_snapshot(django_settings.MEDIA_ROOT)
    (django_settings.MEDIA_ROOT / PHOTO).write_bytes(b"changed since the backup")

    # Into this very database, with --yes: the most a restore could destroy.
    with pytest.raises(CommandError, match="nothing was changed") as refused:
        restore(str(archive), "--yes")

    assert {"database": "SHA-256 differs", "media": "SHA-256 differs", "manifest": "checksum",
            "truncated": "truncated"}[damage] in str(refused.value)
    assert counts_now() == counts and figures_now() == figures
    assert media_snapshot(django_settings.MEDIA_ROOT) == media | {PHOTO: b"changed since the backup"}
    with pytest.raises(CommandError):
        restore(str(archive), "--verify-only")


def test_a_backup_is_not_restored_into_the_other_kind_of_database(district, tmp_path):
    archive = backup(tmp_path)
    sqlite_target = tmp_path / "other.sqlite3"
    # Refused before any connection is made: the PostgreSQL address need not exist.
    other = f"sqlite:///{sqlite_target}" if connection.vendor == "postgresql" else "postgres://nobody@127.0.0.1:1/none"
    with pytest.raises(CommandError, match=r"is a (SQLite|PostgreSQL) backup and the target is a (PostgreSQL|SQLite)"):
        restore(str(archive), "--database-url", other, "--media-root", str(tmp_path / "m"))
    assert not sqlite_target.exists() and not (tmp_path / "m").exists()


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def scratch_database():
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    import psycopg
    from psycopg import sql

    values = connection.settings_dict
    server = {"host": values["HOST"] or None, "port": values["PORT"] or None, "user": values["USER"] or None,
              "password": values["PASSWORD"] or None}
    name = f"jiangbei_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = f"postgres://{values['USER']}@{values['HOST'] or '127.0.0.1'}:{values['PORT'] or 5432}/{name}"
        with psycopg.connect(dbname=name, **server) as restored:
            yield url, restored
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@on_postgresql
def test_postgresql_backup_restores_into_a_new_database_with_every_row_and_figure(district, tmp_path, settings,
                                                                                 scratch_database):
    # The services tier must test the real tools: missing ones fail here, they do not skip.
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "install postgresql-client (pg_dump, pg_restore)"
    url, restored = scratch_database
    archive = backup(tmp_path)
    counts, figures = counts_now(), figures_now()
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    out = restore(str(archive), "--database-url", url)

    assert "every table's row count matches" in out
    restored_counts = {table: restored.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in counts}
    assert restored_counts == counts
    assert sorted(restored.execute(figures_query()).fetchall()) == figures
    # The audit trail's append-only triggers came along with the schema.
    triggers = {row[0] for row in restored.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    assert {"training_auditentry_no_update", "training_auditentry_no_early_delete"} <= triggers
    assert media_snapshot(settings.MEDIA_ROOT) == media_snapshot(tmp_path / "media")
    restored.rollback()

    with pytest.raises(CommandError, match="not empty"):
        restore(str(archive), "--database-url", url)
    assert "every table's row count matches" in restore(str(archive), "--database-url", url, "--yes")


@on_postgresql
def test_without_pg_dump_the_backup_says_what_to_install(district, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(CommandError, match="pg_dump was not found on PATH.*postgresql-client-1"):
        call_command("backup", "--output", str(tmp_path / "backups"), stdout=io.StringIO())
    assert list((tmp_path / "backups").iterdir()) == []
