"""The package's shape, kept as tests (docs/architecture.md draws it): which layer may import
which, no import cycles, and modules and functions of a size a newcomer can read.

Complexity (at most 15 per function) is ruff's ``C901`` (``pyproject.toml``), run by
``make lint``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import secu_marketplace

PACKAGE = Path(secu_marketplace.__file__).parent
NAME = PACKAGE.name
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Layer -> the layers it must never import (at run time; a TYPE_CHECKING import is a type).
NEVER = {
    # Pure decisions: no database, no HTTP, no writes.
    "rules": {"models", "provider.client", "provider.reads", "ledger", "services", "read"},
    # The read side shows what is held: it never asks secuconnect or writes.
    "read": {"services", "ledger", "provider.client", "provider.reads", "views", "admin", "api"},
    # The write path writes what it is given: it never calls secuconnect or a flow.
    "ledger": {"services", "provider.client", "provider.reads", "views", "admin", "api"},
    # The provider boundary knows secuconnect, not the app's decisions or flows.
    "provider": {"rules", "ledger", "services", "read", "views", "admin", "api"},
    "models": {"provider", "ledger", "services", "read", "views", "admin", "api"},
    "services": {"views", "admin", "api"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield _module_name(path), path, ast.parse(path.read_text())


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (imports for types only)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(module: str, path: Path, tree: ast.Module, known: set[str]) -> set[str]:
    """The package modules ``module`` imports at run time (module level or in a function)."""
    types_only = _type_checking_blocks(tree)
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in types_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # "from package import module" imports the module.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known and name != module}


def _graph() -> dict[str, set[str]]:
    sources = list(_sources())
    known = {module for module, _path, _tree in sources}
    return {module: _imports(module, path, tree, known) for module, path, tree in sources}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    """Function-local imports count: hiding a cycle in a function keeps the cycle."""
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _layer(module: str) -> str:
    return module.removeprefix(f"{NAME}.")


def test_each_layer_imports_only_what_it_may() -> None:
    found = []
    for module, imported in sorted(_graph().items()):
        layer = _layer(module)
        for name, forbidden in NEVER.items():
            if layer != name and not layer.startswith(f"{name}."):
                continue
            for target in sorted(imported):
                if any(
                    _layer(target) == bad or _layer(target).startswith(f"{bad}.")
                    for bad in forbidden
                ):
                    found.append(f"{module} imports {target}")
    assert found == []


def test_modules_are_short_enough_to_read() -> None:
    long = [
        f"{path.relative_to(PACKAGE)}: {lines} lines"
        for _module, path, _tree in _sources()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_functions_are_short_enough_to_read() -> None:
    long = []
    for _module, path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {lines}")
    assert long == []
