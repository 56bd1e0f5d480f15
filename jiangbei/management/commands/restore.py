from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiangbei.backup import BackupError, Database, open_backup, restore_backup, verify


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: verify every checksum, restore the database "
        "(DATABASE_URL, or --database-url) and the media files, then compare the row counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup's .tar file (or the folder it extracts to)")
        parser.add_argument(
            "--database-url",
            help="restore into this database instead of the application's own (postgres://… or sqlite:////path)",
        )
        parser.add_argument("--yes", action="store_true", help="replace the contents of a database that is not empty")
        parser.add_argument(
            "--media-root", type=Path, help="restore the media files here (default: MEDIA_ROOT); e.g. for a restore drill"
        )
        parser.add_argument("--verify-only", action="store_true", help="check the checksums, change nothing")

    def handle(self, *args, path: Path, database_url: str | None, yes: bool, media_root: Path | None,
               verify_only: bool, **options):
        try:
            if verify_only:
                with open_backup(path) as archive:
                    manifest = verify(archive)
                self.stdout.write(self.style.SUCCESS(
                    f"{path}: {len(manifest['files'])} files match their checksums "
                    f"({manifest['database']['vendor']}, made {manifest['created_at']})"
                ))
                return
            database = Database.from_url(database_url) if database_url else Database.current()
            restored = restore_backup(
                path, database, replace=yes, media_root=media_root or Path(settings.MEDIA_ROOT), log=self.stdout.write
            )
        except BackupError as error:
            raise CommandError(str(error)) from None

        expected = restored.manifest["tables"]
        width = max(len(table) for table in expected)
        self.stdout.write(f"{'table':<{width}}  {'backup':>9}  {'restored':>9}")
        for table in sorted(expected):
            self.stdout.write(f"{table:<{width}}  {expected[table]:>9}  {restored.counts.get(table, '—')!s:>9}")
        self.stdout.write(f"{restored.media_files} media files restored.")
        if restored.media_not_in_backup:
            self.stdout.write(
                f"{len(restored.media_not_in_backup)} files under the media folder are not in the backup; "
                "they were left in place."
            )
        if restored.differences:
            raise CommandError("Row counts differ from the backup's manifest:\n  " + "\n  ".join(restored.differences))
        self.stdout.write(self.style.SUCCESS(
            f"Restored {path}: every table's row count matches the backup. Next: `manage.py migrate` "
            "(nothing to do when the versions match), then sign in and check."
        ))
