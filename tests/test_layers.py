"""The import layers of docs/architecture.md, read from the source with `ast`.

A layer imports only the layers below it, no project module imports itself round a cycle, and
project modules are imported at the top of a module (an import inside a function hides a cycle
or a layer breach from the reader). The table `LAYERS` is the rule: a package is checked when it
has a row, so `conformance/` joins by adding its row. `python tests/test_layers.py` prints what
the checks find in every package, checked or not (today's state of `conformance/`).
"""

from __future__ import annotations

import ast
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Every top-level package of the project (an import of one of them is a project import).
PROJECT = ("contract", "workspace", "strategies", "conformance")
#: Each checked package and the project packages it may import (docs/architecture.md).
LAYERS: dict[str, frozenset[str]] = {
    "contract": frozenset(),
    "workspace": frozenset({"contract"}),
    "strategies": frozenset({"contract"}),
    "conformance": frozenset({"contract", "workspace", "strategies"}),
}
#: The pytest edge of conformance/: the only layer that may import pytest.
EDGE = "conformance.plugin"
#: The layers of conformance/ under the edge: none imports the edge, nor pytest.
INNER = ("conformance.config", "conformance.engine", "conformance.checks", "conformance.report",
         "conformance.scenarios")
#: Function-level imports of project modules that stay: (importer, imported) -> why.
LATE_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    """One import of a project module."""

    importer: str
    imported: str
    line: int
    in_function: bool  # inside a def: runs late, hides what the module needs
    type_only: bool  # under `if TYPE_CHECKING:`: never runs, so it cannot close a cycle

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def module_names(root: Path, packages: Iterable[str] = PROJECT) -> dict[str, Path]:
    """Dotted name -> file of every module of `packages` under `root`."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _known(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of `name` that is a project module (None: not the project's)."""
    parts = name.split(".")
    if parts[0] not in PROJECT:
        return None
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool,
             modules: Mapping[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if (known := _known(alias.name, modules)) is not None:
                yield known
        return
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    for alias in node.names:  # `from pkg import submodule` imports the submodule
        known = _known(f"{base}.{alias.name}", modules) if alias.name != "*" else None
        if known == f"{base}.{alias.name}":
            yield known
        elif (known := _known(base, modules)) is not None:
            yield known


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> list[Import]:
    """The project imports of one module, each with where it sits."""
    found: list[Import] = []
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.extend(Import(name, target, node.lineno, in_function, type_only)
                         for target in _targets(node, name, is_package, modules))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                visit(statement, in_function, True)
            for statement in node.orelse:
                visit(statement, in_function, type_only)
            return
        late = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, late, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)
    return found


def project_imports(root: Path, packages: Iterable[str]) -> list[Import]:
    """Every project import made by a module of `packages`."""
    modules = module_names(root)
    wanted = tuple(packages)
    return [imp for name, path in modules.items() if name.split(".")[0] in wanted
            for imp in imports_of(name, path, modules)]


def upward_imports(imports: Iterable[Import], layers: Mapping[str, frozenset[str]]
                   ) -> list[str]:
    """Imports of a project package the importer's layer may not use."""
    bad = []
    for imp in imports:
        own, other = imp.importer.split(".")[0], imp.imported.split(".")[0]
        if own in layers and other != own and other not in layers[own]:
            bad.append(f"{imp}: {own}/ may import only {sorted(layers[own]) or 'nothing'}")
    return bad


def import_cycles(imports: Iterable[Import]) -> list[list[str]]:
    """One cycle (first module repeated at the end) per group of modules that import each
    other round a loop; imports that never run (TYPE_CHECKING) close none."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if not imp.type_only and imp.imported != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.imported)
            graph.setdefault(imp.imported, set())
    return [_cycle_through(sorted(group), graph) for group in _strong_components(graph)
            if len(group) > 1]


def _strong_components(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def _cycle_through(group: list[str], graph: Mapping[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = group[0]
    paths = {nxt: [start, nxt] for nxt in sorted(graph[start]) if nxt in group}
    frontier = list(paths)
    while start not in paths:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt in group and nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    return paths[start]


def pytest_importers(root: Path, packages: Iterable[str] = PROJECT) -> set[str]:
    """The modules of `packages` that import pytest (or its internals) when they run."""
    found = set()
    for name, path in module_names(root, packages).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                node.body = []  # type-only imports never run
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and
                     not node.level else [])
            if any(n.split(".")[0] in ("pytest", "_pytest") for n in names):
                found.add(name)
    return found


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def late_imports(imports: Iterable[Import],
                 allowed: Mapping[tuple[str, str], str]) -> list[Import]:
    """Function-level imports of project modules that are not on the allow-list."""
    return [imp for imp in imports
            if imp.in_function and (imp.importer, imp.imported) not in allowed]


# --- the project as it is ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return project_imports(ROOT, LAYERS)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(imports: list[Import], package: str) -> None:
    own = [imp for imp in imports if imp.importer.split(".")[0] == package]
    assert upward_imports(own, LAYERS) == []


def test_no_import_cycles(imports: list[Import]) -> None:
    cycles = [" -> ".join(cycle) for cycle in import_cycles(imports)]
    assert cycles == []


@pytest.mark.parametrize("layer", INNER)
def test_an_inner_layer_of_conformance_does_not_import_the_pytest_edge(
        imports: list[Import], layer: str) -> None:
    assert [str(imp) for imp in imports
            if in_layer(imp.importer, layer) and in_layer(imp.imported, EDGE)] == []


def test_conformance_config_is_the_floor(imports: list[Import]) -> None:
    """Options, settings and profiles import no other part of conformance/: every layer reads
    them, so they read none."""
    assert [str(imp) for imp in imports if in_layer(imp.importer, "conformance.config")
            and in_layer(imp.imported, "conformance")
            and not in_layer(imp.imported, "conformance.config")] == []


@pytest.mark.parametrize("layer", INNER)
def test_an_inner_layer_of_conformance_does_not_import_pytest(layer: str) -> None:
    assert sorted(m for m in pytest_importers(ROOT, ["conformance"]) if in_layer(m, layer)) == []


def test_only_the_edge_and_the_test_modules_import_pytest() -> None:
    """Outside the inner layers too: run.py, observed.py and the rest stay free of pytest."""
    assert sorted(m for m in pytest_importers(ROOT, ["conformance"])
                  if not in_layer(m, EDGE)
                  and not m.split(".")[-1].startswith(("test_", "conftest"))) == []


def test_project_modules_are_imported_at_the_top(imports: list[Import]) -> None:
    assert [str(imp) for imp in late_imports(imports, LATE_IMPORTS_ALLOWED)] == []


def test_every_allowed_late_import_still_exists(imports: list[Import]) -> None:
    """An entry whose import was moved to the top is dropped, so the list stays short."""
    present = {(imp.importer, imp.imported) for imp in imports if imp.in_function}
    assert sorted(set(LATE_IMPORTS_ALLOWED) - present) == []


def test_the_reader_sees_every_package_and_module() -> None:
    modules = module_names(ROOT)
    assert {"contract.operations", "workspace.handlers.records", "strategies.fields",
            "conformance.plugin.hooks"} <= set(modules)
    assert set(LAYERS) <= set(PROJECT)


# --- the checks catch what they are for ----------------------------------------------------------

def _write(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checks_catch_bad_imports_in_a_synthetic_project(tmp_path: Path) -> None:
    _write(tmp_path, {
        "contract/__init__.py": "",
        "contract/base.py": "import json\nfrom workspace import app\n",
        "contract/rel.py": "from . import base\nfrom .base import json\n",
        "workspace/__init__.py": "from workspace.app import thing\n",
        "workspace/app.py": "from workspace.store import x\nthing = 1\n",
        "workspace/store.py": (
            "from typing import TYPE_CHECKING\nfrom workspace import app\n"
            "if TYPE_CHECKING:\n    from conformance import plugin\n"
            "def f():\n    from contract import other\n    return other\n"),
        "contract/other.py": "",
        "strategies/__init__.py": "",
        "strategies/ok.py": "from contract.base import json\n",
        "conformance/__init__.py": "",
        "conformance/plugin.py": "",
    })
    found = project_imports(tmp_path, LAYERS)

    assert sorted(upward_imports(found, LAYERS)) == [
        "contract.base:2 imports workspace.app: contract/ may import only nothing",
        "workspace.store:4 imports conformance.plugin: workspace/ may import only ['contract']",
    ]
    # app <-> store is a cycle; the package importing its own app is not (no loop back).
    assert import_cycles(found) == [["workspace.app", "workspace.store", "workspace.app"]]
    assert [str(imp) for imp in late_imports(found, {})] == [
        "workspace.store:6 imports contract.other"]
    assert late_imports(found, {("workspace.store", "contract.other"): "why"}) == []
    relative = [imp.imported for imp in found if imp.importer == "contract.rel"]
    assert relative == ["contract.base", "contract.base"]


def test_a_type_only_import_closes_no_cycle_but_still_breaks_a_layer(tmp_path: Path) -> None:
    _write(tmp_path, {
        "contract/__init__.py": "",
        "contract/a.py": "import typing\nif typing.TYPE_CHECKING:\n    import contract.b\n",
        "contract/b.py": "import typing\nimport contract.a\nif typing.TYPE_CHECKING:\n"
                         "    import workspace\n",
        "workspace/__init__.py": "",
    })
    found = project_imports(tmp_path, LAYERS)
    assert import_cycles(found) == []
    assert len(upward_imports(found, LAYERS)) == 1


def test_a_bad_import_added_to_a_copy_of_the_project_fails(tmp_path: Path) -> None:
    for package in PROJECT:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    assert upward_imports(project_imports(tmp_path, LAYERS), LAYERS) == []
    assert import_cycles(project_imports(tmp_path, LAYERS)) == []

    with (tmp_path / "contract" / "fields.py").open("a", encoding="utf-8") as out:
        out.write("\nfrom workspace.faults import describe_all  # a fact read from the mock\n")
    with (tmp_path / "workspace" / "urls.py").open("a", encoding="utf-8") as out:
        out.write("\n\ndef _late():\n    import workspace.app\n    return workspace.app\n")
    with (tmp_path / "workspace" / "handlers" / "shapes.py").open("a", encoding="utf-8") as out:
        out.write("\nfrom workspace.handlers import records  # noqa: E402\n")
    found = project_imports(tmp_path, LAYERS)

    assert [line.split(":")[0] for line in upward_imports(found, LAYERS)] == ["contract.fields"]
    cycles = import_cycles(found)
    assert any({"workspace.handlers.records", "workspace.handlers.shapes"} <= set(cycle)
               for cycle in cycles), cycles
    assert "workspace.urls" in {imp.importer for imp in late_imports(found, LATE_IMPORTS_ALLOWED)}


# --- python tests/test_layers.py: what the checks find, checked package or not -------------------

def summary(root: Path = ROOT) -> str:
    """Per package: upward imports under a layer row, cycles, late imports (allow-list aside)."""
    found = project_imports(root, PROJECT)
    lines = []
    for package in PROJECT:
        own = [imp for imp in found if imp.importer.split(".")[0] == package]
        cycles = [c for c in import_cycles(found) if c[0].split(".")[0] == package]
        late = late_imports(own, LATE_IMPORTS_ALLOWED)
        upward = (f"{len(upward_imports(own, LAYERS))} upward" if package in LAYERS
                  else "no layer row yet")
        lines.append(f"{package}: {len(own)} project imports, {upward}, {len(cycles)} cycles, "
                     f"{len(late)} function-level")
        lines += [f"  cycle: {' -> '.join(cycle)}" for cycle in cycles]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
    sys.exit(0)
