from django.core.management.base import BaseCommand, CommandError

from devtools.seeding import DEMO_PASSWORD, SCALES, DistrictGenerator
from training.attendance.models import Attendance
from training.coverage.models import CoverageRun
from training.coverage.rollup import run_full_refresh
from training.organisation.models import Organisation


class Command(BaseCommand):
    help = "Generate the synthetic Jiangbei district (deterministic for a given seed)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has organisations."
        )

    def handle(self, *args, scale: str, seed: int, if_empty: bool, **options):
        if Organisation.objects.exists():
            if if_empty:
                self.stdout.write("The district is already loaded; nothing to do.")
                return
            raise CommandError("The database already has organisations; seed an empty database (e.g. after flush).")
        counts = DistrictGenerator(SCALES[scale], seed, stdout=self.stdout).run()
        width = max(len(key) for key in counts)
        for key, value in counts.items():
            self.stdout.write(f"{key:<{width}}  {value}")
        # The dashboards read the roll-up: compute it now rather than wait for the nightly run.
        for year in Attendance.objects.order_by("year").values_list("year", flat=True).distinct():
            run = run_full_refresh(CoverageRun.objects.create(year=year))
            self.stdout.write(f"{'rollup_' + str(year):<{width}}  {run.cells} cells")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password {DEMO_PASSWORD}): admin, leader, organiser, getang, secretary, secretary2, lecturer, requester"))
