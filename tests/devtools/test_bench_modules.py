"""`make bench` finds every benchmark: each module it names imports and has its entry point."""

import importlib
import importlib.util

from devtools.bench_server import GUNICORN_APP
from devtools.management.commands.bench import BENCHMARK_MODULES


def test_every_benchmark_module_imports_and_runs_through_one_entry_point():
    for path in BENCHMARK_MODULES:
        assert callable(importlib.import_module(path).run), path


def test_the_benchmark_server_names_modules_that_exist():
    module = GUNICORN_APP.partition(":")[0]
    assert importlib.util.find_spec(module) is not None  # found, not imported: it sets its own URLconf
    assert importlib.util.find_spec("devtools.bench_urls") is not None
