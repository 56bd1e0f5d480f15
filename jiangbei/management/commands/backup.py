from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiangbei.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database and the media files (MEDIA_ROOT: photos and import uploads) into one "
        "jiangbei-backup-<UTC time>.tar with a manifest of row counts and SHA-256 checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="folder for the backup (default: BACKUP_DIR, var/backups)")

    def handle(self, *args, output: Path | None, **options):
        try:
            backup = create_backup(output or settings.BACKUP_DIR, log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = backup.manifest
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows, {media} media files, "
            f"{backup.path.stat().st_size / 1024 / 1024:.1f} MB"
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written: {backup.path}"))
