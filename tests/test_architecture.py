"""The layout rules of the package, read from the source with ``ast`` (nothing is imported or run).

Data flows one way: exact primitives at the bottom, the network above them, one
module (or package) per result above that, interfaces on top. The one upward
reference allowed is the convenience methods of ``LinearNetwork``, each a
one-line delegation to a result module.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symstab"
# optional heavy dependencies that may be imported inside a function
OPTIONAL = {"z3", "matplotlib", "dask", "distributed", "cvxpy", "clarabel", "scs"}
FACADE = "symstab.network"
MAX_LINES = 700

# the layers, bottom to top: a module may import only from its own layer or below
LAYERS = ("errors, files, budgets and the independent checker", "exact primitives", "network", "results", "interfaces")


def _layer(name: str) -> int:
    if name in ("symstab.errors", "symstab.files", "symstab.budget", "symstab.check"):  # the checker stands alone
        return 0
    if name == "symstab.exact" or name.startswith("symstab.exact."):
        return 1
    if name == FACADE:
        return 2
    if name in ("symstab", "symstab.report") or name.startswith(("symstab.cli", "symstab.document")):
        return 4
    return 3


# the result each module implements, as its docstring must name it
RESULTS = {
    "symstab.gdmap": "A1",
    "symstab.gdmap_figure": "A1",
    "symstab.detsparse": "A1",
    "symstab.detplan": "A1",
    "symstab.minima": "A2",
    "symstab.spectrum": "A3",
    "symstab.stability": "A4",
    "symstab.critical": "A5",
    "symstab.simulate": "A6",
    "symstab.sgd": "paper B",
    "symstab.orbits": "Beyond the threshold",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _resolve(node: ast.ImportFrom, current: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    if MODULES[current].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str):
    """``(target module, imported name or None, enclosing function or None, node)`` for every import in ``name``."""
    tree = TREES[name]
    owner = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(fn):
                owner.setdefault(id(sub), fn)
    for node in ast.walk(tree):
        fn = owner.get(id(node))
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, fn, node
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, name)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full if full in MODULES else target), alias.name, fn, node


def _is_delegation(name: str, fn) -> bool:
    """A method of ``LinearNetwork`` whose body is: docstring, one import, one return."""
    if name != FACADE or fn is None:
        return False
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return len(body) == 2 and isinstance(body[0], ast.ImportFrom) and isinstance(body[1], ast.Return)


@lru_cache(maxsize=None)
def _internal_edges():
    edges = {}
    for name in MODULES:
        for target, _, fn, _ in _imports(name):
            if target in MODULES and target != name and not _is_delegation(name, fn):
                edges.setdefault(name, set()).add(target)
                # importing a.b.c first runs a/b/__init__.py: an edge to every enclosing package the
                # importer is not itself inside (its own packages are already being initialised)
                parts = target.split(".")
                for k in range(1, len(parts)):
                    package = ".".join(parts[:k])
                    if package in MODULES and not name.startswith(package + "."):
                        edges[name].add(package)
    return edges


def test_the_package_is_read():
    assert {"symstab.network", "symstab.exact.numbers", "symstab.critical", "symstab.cli"} <= set(MODULES)


def test_no_import_cycles():
    edges = _internal_edges()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in MODULES:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_taken_from_another_module():
    bad = []
    for name in MODULES:
        bound = {}  # local name -> symstab module it is bound to
        for target, alias, fn, node in _imports(name):
            if target.startswith("symstab") and target != name:
                if alias is not None and alias.startswith("_") and not alias.startswith("__"):
                    bad.append(f"{name} imports {target}.{alias}")
                if target in MODULES:
                    local = next((a.asname or a.name for a in node.names if alias in (a.name, None)), None)
                    if local:
                        bound[local.split(".")[0]] = target
        for node in ast.walk(TREES[name]):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{name} uses {bound[node.value.id]}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_function_level_imports_only_for_optional_dependencies_and_delegations():
    bad = []
    for name in MODULES:
        for target, alias, fn, node in _imports(name):
            if fn is None or target.split(".")[0] in OPTIONAL or _is_delegation(name, fn):
                continue
            bad.append(f"{name}.{fn.name} imports {target}")
    assert not bad, "\n".join(bad)


def test_every_upward_reference_of_the_network_is_a_one_line_delegation():
    tree = TREES[FACADE]
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "LinearNetwork")
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        imports = [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
        if imports:
            assert _is_delegation(FACADE, fn), f"LinearNetwork.{fn.name} imports but is not a one-line delegation"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down_the_layers(name):
    mine = _layer(name)
    for target in _internal_edges().get(name, ()):
        assert _layer(target) <= mine, f"{name} ({LAYERS[mine]}) imports {target} ({LAYERS[_layer(target)]})"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_are_small_and_say_what_they_hold(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (limit {MAX_LINES})"
    doc = ast.get_docstring(TREES[name])
    assert doc, f"{name} has no module docstring"
    for prefix, result in RESULTS.items():
        if name == prefix or name.startswith(prefix + "."):
            assert result in doc, f"{name}'s docstring does not name the result it implements ({result})"


def test_nothing_points_outside_the_repository():
    places = [*PACKAGE.rglob("*.py"), ROOT / "README.md", *(ROOT / "notebooks").glob("*.ipynb"),
              *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").glob("*"), ROOT / "pyproject.toml"]
    bad = [str(p.relative_to(ROOT)) for p in places
           if p.is_file() and ("MATH.md" in p.read_text() or "../shared" in p.read_text())]
    assert not bad, f"these files refer to the team's ../shared/ instead of docs/theory.md: {bad}"
