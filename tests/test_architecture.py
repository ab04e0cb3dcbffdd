"""The rules of the house for the layout (docs/architecture.md), checked on the source itself.

- no module over 800 lines;
- no import cycle between neurodyn's packages (the pipeline lang -> ir -> backends -> solvers -> simulate ->
  network/analysis/... reads one way);
- no private name (leading underscore) imported from another package;
- ``lang`` is a leaf: it imports nothing of neurodyn but the shared utilities (errors, config).

Imports are read with ``ast`` (module level and inside functions), so lazy imports count too.
"""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "neurodyn"
#: top-level modules every package may use (they import no other neurodyn package themselves)
UTILITIES = {"errors", "config", "_lazy", "_version", "caching", "memory"}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, module: str):
    """(imported module, imported names) for every import statement in the file."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_pkg else base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names]


def test_no_module_over_800_lines():
    long = {str(p.relative_to(SRC)): n for _, p in _modules() if (n := len(p.read_text().splitlines())) > 800}
    assert not long, f"modules over 800 lines (split them by job): {long}"


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in _modules():
        src_pkg = _package(module)
        for target, _ in _imports(path, module):
            if not target.startswith("neurodyn"):
                continue
            dst = _package(target)
            if dst and dst != src_pkg and src_pkg not in UTILITIES and dst not in UTILITIES:
                graph.setdefault(src_pkg, set()).add(dst)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (as a list of vertices, first == last), or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(v):
        state[v] = 1
        path.append(v)
        for u in sorted(graph.get(v, ())):
            if state.get(u) == 1:
                return path[path.index(u):] + [u]
            if u not in state and (found := visit(u)):
                return found
        path.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_cycle_between_packages():
    graph = _package_graph()
    assert "ir" in graph.get("simulate", set())       # the graph is really read from the source
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_private_names_across_packages():
    bad = []
    for module, path in _modules():
        for target, names in _imports(path, module):
            if not target.startswith("neurodyn.") or _package(target) == _package(module):
                continue
            if _package(target) in UTILITIES:
                continue
            bad += [f"{module} imports {target}.{n}" for n in names if n.startswith("_")]
    assert not bad, "private names imported across packages:\n" + "\n".join(bad)


def test_lang_is_a_leaf():
    bad = []
    for module, path in _modules():
        if _package(module) != "lang":
            continue
        for target, _ in _imports(path, module):
            if target.startswith("neurodyn") and _package(target) not in UTILITIES | {"lang"}:
                bad.append(f"{module} imports {target}")
    assert not bad, "lang must import nothing of neurodyn but errors/config: " + ", ".join(bad)
