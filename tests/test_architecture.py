"""The layout shows the domain: no import cycles, dependencies point one way, files stay short."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("jiangbei", "training", "venues", "lectures")
MAX_LINES = 600

# Lowest first: a unit may import units before it, never after. The project's own entry points
# (settings, URLconf, home page, the app registry's aggregators) sit above everything.
UNITS = [
    "jiangbei.base",
    "training.organisation",
    "jiangbei.templatetags",
    "training.programmes",
    "training.attendance",
    "training.imports",
    "training.coverage",
    "venues",
    "lectures",
]
TOP = {"jiangbei", "jiangbei.urls", "jiangbei.views", "jiangbei.settings", "jiangbei.celery", "jiangbei.admin",
       "training.models", "training.admin", "training.urls", "training.apps"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str, is_package: bool) -> set[str]:
    """Every project module this file imports, at any depth, except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(child) for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".") if is_package else module.split(".")[:-1]
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names |= {f"{target}.{alias.name}" for alias in node.names}
    return {name for name in names if name.split(".")[0] in (*PRODUCT, "devtools")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        targets = _imports(path, module, path.name == "__init__.py")
        graph[module] = {target for target in targets if target in modules and target != module}
    return graph


def _unit(module: str) -> str:
    if module in TOP:
        return "top"
    for unit in UNITS[1:]:
        if module == unit or module.startswith(unit + "."):
            return unit
    if module.startswith("jiangbei"):
        return "jiangbei.base"
    if module in ("training", "training.management", "training.management.commands") or module.startswith(
        "training.management.commands."
    ):
        return "top"  # the app's own entry points: its package and its commands
    return "unplaced"


def test_every_module_has_its_place_in_the_layers():
    """A new package must be put in UNITS (or TOP) before it can be checked."""
    assert [module for module in _modules() if _unit(module) == "unplaced"] == []


# Models a lower package reaches through a relation instead of an import (the relation is the
# dependency, declared on the model); each is here with its reason, and no other may appear.
REACHED_THROUGH_RELATIONS = {
    "training/attendance/checkin.py": "the venue's name on the check-in page, in the scan's one query",
    "training/organisation/access.py": "the user's grant, read by the policy the grant model itself uses",
    "training/programmes/enrolment.py": "cohorts of members not yet reached, from attendance",
    "training/programmes/schedule_views.py": "the calendar's venue and lecturer filters",
    "training/programmes/models.py": "sessions visible to a branch through its members' attendance",
    "training/programmes/views.py": "a session's attendance on its page",
    "training/programmes/feed_views.py": "a venue's calendar feed",
}


def test_reaching_up_through_a_relation_is_declared():
    found = {str(path.relative_to(ROOT)) for path in _modules().values() if "related_model" in path.read_text()}
    assert found == set(REACHED_THROUGH_RELATIONS)


def test_no_module_imports_itself_back():
    graph = _graph()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_dependencies_point_one_way():
    order = {unit: rank for rank, unit in enumerate(UNITS)}
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in _graph().items()
        for target in targets
        if _unit(module) != "top" and (_unit(target) == "top" or order[_unit(target)] > order[_unit(module)])
    )
    assert wrong == []


def test_no_hand_written_file_is_over_600_lines():
    long = {str(path.relative_to(ROOT)): n for path in _modules().values()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_product_apps_do_not_import_the_dev_tools():
    modules = _modules()
    assert not [
        module for module, path in modules.items()
        if any(name.startswith("devtools") for name in _imports(path, module, path.name == "__init__.py"))
    ]


# Rows that only one place may write: the attendance actions (and the copies they keep in line),
# the roll-up, the audit API. A write elsewhere would skip their checks.
OWNERS = {
    "Attendance": {"training/attendance/actions.py", "training/attendance/copies.py"},
    "CoverageCell": {"training/coverage/rollup.py"},
    "AuditEntry": {"training/organisation/audit.py"},
}
WRITES = r"(\.objects\b[^\n]*\.(create|get_or_create|update_or_create|update|delete|bulk_create|bulk_update)\(|\()"


def test_each_kind_of_derived_row_is_written_in_one_place():
    import re

    strays = []
    for path in _modules().values():
        text = path.read_text()
        relative = str(path.relative_to(ROOT))
        for model, owners in OWNERS.items():
            if relative in owners:
                continue
            for line_number, line in enumerate(text.splitlines(), start=1):
                if re.search(rf"\b{model}{WRITES}", line) and "class " not in line:
                    strays.append(f"{relative}:{line_number}: {line.strip()}")
    assert strays == []
