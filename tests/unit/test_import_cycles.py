"""No import cycles between dockerfab's modules, and no private name used across packages
(read from the source, nothing imported).

Every ``import``/``from ... import`` of a dockerfab module counts, also inside functions
(a lazy import only hides a cycle); imports under ``if TYPE_CHECKING:`` do not (they never
run). ``from dockerfab.x import y`` is an edge to ``dockerfab.x.y`` when that is a module,
else to ``dockerfab.x``. The implicit import of a module's parent packages is not an edge.
"""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import dockerfab

ROOT = Path(dockerfab.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, modules: set[str]) -> set[str]:
    """The dockerfab modules ``path`` imports at run time."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else \
        module_name(path).rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "dockerfab")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] == "dockerfab":
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports(p, modules) - {module_name(p)} for p in paths}


def test_no_import_cycles():
    graph = import_graph()
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError("import cycle: " + " -> ".join(reversed(exc.args[1]))) from None


def test_the_check_sees_lazy_imports():
    graph = import_graph()
    assert "dockerfab.map.deps" in graph["dockerfab.map.container"]  # inside a method
    assert "dockerfab.map.container" not in graph["dockerfab.map.integrity"]  # TYPE_CHECKING


def package_of(module: str) -> str:
    return module.rpartition(".")[0]


def private_uses(path: Path, modules: set[str]) -> list[str]:
    """``_name``s of another package that ``path`` imports or calls through a module alias
    (``from dockerfab.x import _f``, ``import dockerfab.x as m; m._f()``)."""
    here = module_name(path)
    here_package = here if path.name == "__init__.py" else package_of(here)
    aliases: dict[str, str] = {}
    found: list[str] = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level \
                and node.module.split(".")[0] == "dockerfab":
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if target in modules:
                    aliases[alias.asname or alias.name] = target
                elif alias.name.startswith("_") and not alias.name.startswith("__") \
                        and package_of(node.module) != here_package \
                        and node.module != here_package:
                    found.append(f"{here} imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            target = aliases.get(node.value.id)
            if target and package_of(target) != here_package:
                found.append(f"{here} uses {target}.{node.attr}")
    return found


def test_no_private_names_across_packages():
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    found = [use for p in paths for use in private_uses(p, modules)]
    assert found == []
