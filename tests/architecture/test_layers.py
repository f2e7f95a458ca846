"""The apps form a layered graph: no import cycle between apps, lazy imports included.

Every ``.py`` file of every app is parsed (not imported) with :mod:`ast`, so imports inside
functions, ``TYPE_CHECKING`` blocks and ``importlib.import_module("...")`` calls all count.
An edge ``a -> b`` means some module of app ``a`` imports a module of app ``b``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "activity", "catalog", "favorites", "rankings", "recsys")
# The project package holds settings, the Celery app, the root URLs (which import every app) and
# small shared helpers. Only its helpers must stay below the apps.
PROJECT = "animesite"
PROJECT_TOP_MODULES = {"urls.py", "celery.py", "wsgi.py", "asgi.py"}
MAX_MODULE_LINES = 600


def app_modules(app: str) -> Iterator[Path]:
    yield from sorted((ROOT / app).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module name ``path`` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def app_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for app in APPS:
        for path in app_modules(app):
            for name in imported_modules(path):
                target = name.split(".")[0]
                if target in APPS and target != app:
                    graph[app].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walker_sees_lazy_and_importlib_imports(tmp_path):
    # given
    module = tmp_path / "m.py"
    module.write_text(
        "import importlib\n"
        "from catalog.models import Anime\n"
        "def f():\n"
        "    from recsys.serving import store\n"
        "    return importlib.import_module('rankings.home')\n"
    )

    # when
    names = imported_modules(module)

    # then
    assert {"catalog.models", "recsys.serving", "rankings.home"} <= names


def test_the_cycle_finder_reports_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_apps():
    graph = app_graph()

    found = cycles(graph)

    assert found == [], f"import cycles between apps: {found}; graph: {graph}"


def test_the_behaviour_log_depends_on_no_other_app():
    assert app_graph()["activity"] == set()


def test_project_helpers_import_no_app():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] in APPS
        )
        for path in sorted((ROOT / PROJECT).rglob("*.py"))
        if path.name not in PROJECT_TOP_MODULES
    }

    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("app", APPS)
def test_no_app_module_is_over_600_lines(app):
    long = {
        str(path.relative_to(ROOT)): n
        for path in app_modules(app)
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }

    assert long == {}
