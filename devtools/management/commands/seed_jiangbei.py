from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.seeding import DEMO_PASSWORD, SCALES, DistrictGenerator
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell, CoverageRun
from training.coverage.rollup import run_full_refresh
from training.organisation.models import Organisation


class Command(BaseCommand):
    help = "Generate the synthetic Jiangbei district (deterministic for a given seed)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty", action="store_true",
            help="When the database already has organisations, only compute a missing coverage roll-up.",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Run with DEBUG off too (a benchmark's production-tier server); never on a real one.",
        )

    def handle(self, *args, scale: str, seed: int, if_empty: bool, force: bool, **options):
        # DEBUG as the settings read it at start-up (the test runner turns settings.DEBUG off).
        if not settings.DEMO_PASSWORD_ALLOWED and not force:
            raise CommandError(
                "DEBUG is off: this looks like a production server, and the demo district brings demo "
                "accounts (a superuser among them). Nothing was written. Use --force only on a throw-away "
                "database (the demo password does not sign in while DEBUG is off)."
            )
        if Organisation.objects.exists():
            if not if_empty:
                raise CommandError("The database already has organisations; seed an empty database (e.g. after flush).")
            missing = self._years_without_rollup()
            if not missing:
                self.stdout.write("The district is already loaded; nothing to do.")
                return
            # An earlier start loaded the district but its roll-up failed: without it the
            # dashboards show zeros until the nightly run, so compute it now.
            self.stdout.write("The district is already loaded; computing the missing coverage roll-up.")
            self._roll_up(missing, width=len("rollup_0000"))
            return
        counts = DistrictGenerator(SCALES[scale], seed, stdout=self.stdout).run()
        width = max(len(key) for key in counts)
        for key, value in counts.items():
            self.stdout.write(f"{key:<{width}}  {value}")
        # The dashboards read the roll-up: compute it now rather than wait for the nightly run.
        self._roll_up(self._attendance_years(), width)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password {DEMO_PASSWORD}): admin, leader, organiser, getang, secretary, secretary2, lecturer, requester"))

    @staticmethod
    def _attendance_years() -> list[int]:
        return list(Attendance.objects.order_by("year").values_list("year", flat=True).distinct())

    def _years_without_rollup(self) -> list[int]:
        rolled_up = set(CoverageCell.objects.values_list("year", flat=True).distinct())
        return [year for year in self._attendance_years() if year not in rolled_up]

    def _roll_up(self, years: list[int], width: int) -> None:
        for year in years:
            run = run_full_refresh(CoverageRun.objects.create(year=year))
            self.stdout.write(f"{'rollup_' + str(year):<{width}}  {run.cells} cells")
