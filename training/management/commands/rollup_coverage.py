from django.core.management.base import BaseCommand

from training.attendance.models import Attendance
from training.coverage.models import CoverageRun
from training.coverage.rollup import run_full_refresh


class Command(BaseCommand):
    help = "Recompute the coverage roll-up of a year from raw attendance (the service Celery runs)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="default: the latest year with attendance")

    def handle(self, *args, year: int | None, **options):
        run = run_full_refresh(CoverageRun.objects.create(year=year or Attendance.objects.report_year()))
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"{run.year}: {run.cells} cells in {seconds:.1f} s")
