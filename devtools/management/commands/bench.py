"""Benchmarks, printed as ``name: value`` lines (see DESIGN.md's performance targets).

Run by ``make bench`` on its own SQLite file. The full-scale district is generated first;
then each module in ``BENCHMARK_MODULES`` runs its ``run(emit)``.
"""

import importlib
import time

from django.core.management.base import BaseCommand, CommandError

from devtools.seeding import SCALES, DistrictGenerator, district_figures
from training.organisation.models import Organisation

BENCHMARK_MODULES: list[str] = [
    "devtools.bench_coverage", "devtools.bench_lectures", "devtools.bench_calendar", "devtools.bench_attendance",
    "devtools.bench_hall",
]


class Command(BaseCommand):
    help = "Run the benchmarks on a full-scale district and print name: value lines."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--only", help="run only the benchmark module with this dotted path")

    def handle(self, *args, seed: int, only: str | None, **options):
        if Organisation.objects.exists():
            raise CommandError("bench needs an empty database (make bench uses var/bench.sqlite3)")
        started = time.monotonic()
        counts = DistrictGenerator(SCALES["full"], seed).run()
        self.emit("seed_full_seconds", round(time.monotonic() - started, 1))
        self.emit("seed_full_attendance_rows", counts["attendance_rows"])
        figures = district_figures(2025)
        self.emit("members_reached_2025", figures["members_reached"])
        self.emit("secretary_person_times_2025", figures["secretary_person_times"])
        for path in BENCHMARK_MODULES:
            if only and path != only:
                continue
            importlib.import_module(path).run(self.emit)

    def emit(self, name: str, value) -> None:
        self.stdout.write(f"{name}: {value}", ending="\n")
        self.stdout.flush()
