"""The one-way import rule: server -> analyzers -> runtime, never backwards; one import name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("server", "analyzers", "runtime")
FORBIDDEN = {
    "runtime": ("analyzers", "server", "pygls", "lsprotocol", "libcst"),
    "analyzers": ("server", "pygls", "lsprotocol"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def part_of(module: str) -> str:
    """`agentsense.analyzers.engine` -> `analyzers`; a third-party module -> its top name."""
    names = module.split(".")
    return names[1] if names[0] == "agentsense" and len(names) > 1 else names[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if part_of(module) in FORBIDDEN[package]
    ]
    assert offenders == []


def test_our_code_is_imported_under_agentsense_only() -> None:
    """`from analyzers import x` would import a second copy from the repository root (and is
    a user's name to take when installed): every import of ours goes through `agentsense.`."""
    files = [
        path
        for folder in (*PARTS, "tests", "bench", "examples", "src")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if module.split(".")[0] in PARTS
    ]
    assert offenders == []


RULE_CODE = re.compile(r"AGT\d{3}")


def test_rule_codes_are_spelled_only_in_the_rules() -> None:
    """Every code's behaviour lives in its rule's file: no other module of ours names a code
    as a value (the engine's own codes come from `rules/builtin.py`, the contract problems
    each rule reports from `RegistrationRule.claims`, cross-file findings from
    `Rule.check_project`). Docstrings and comments may mention codes."""
    rules = ROOT / "analyzers" / "rules"
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value}"
        for part in PARTS
        for path in sorted((ROOT / part).rglob("*.py"))
        if rules not in path.parents
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and RULE_CODE.fullmatch(node.value)
    ]
    assert offenders == []


def _module_name(path: Path) -> str:
    """`analyzers/detect/llm.py` -> `agentsense.analyzers.detect.llm` (packages: their name)."""
    folder = path.relative_to(ROOT).parts
    parts = ["agentsense", *folder] if folder[0] in PARTS else ["agentsense", *folder[2:]]
    parts[-1] = parts[-1].removesuffix(".py")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(tree: ast.Module) -> set[str]:
    """What a module imports outside its functions, `if TYPE_CHECKING:` blocks included (a
    type-only import is still a dependency; an import inside a function is a deliberate lazy
    one, loaded only when called)."""
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            stack.append(child)
    return found


def import_graph() -> dict[str, set[str]]:
    """Our modules, each with the modules of ours it imports at module level."""
    paths = [
        path
        for folder in (*PARTS, "src/agentsense")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    names = {_module_name(path): path for path in paths}
    return {
        name: {
            target
            for target in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
            if target in names and target != name
        }
        for name, path in names.items()
    }


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            if targets:
                target = targets.pop()
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, sorted(graph[target])))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_our_modules() -> None:
    """Each module depends on modules below it: fix plans live in fixes.py (context.py needs
    no rule), registrations are derived from the facts outside facts.py, a tool's outcome is a
    message (observers.py needs no executor)."""
    graph = import_graph()
    assert "agentsense.analyzers.facts" in graph and "agentsense" in graph
    assert import_cycles(graph) == []


def test_no_rule_module_imports_another_rule_module() -> None:
    """What two rules share lives in `analyzers/detect/` (or in a rule family's `_helper.py`
    module), so a rule's file can change without changing another rule's behaviour."""
    rules = ROOT / "analyzers" / "rules"
    rule_files = [
        path
        for path in sorted(rules.rglob("*.py"))
        if not path.name.startswith("_") and path.name != "builtin.py"
    ]
    assert len(rule_files) > 30
    rule_modules = {_module_name(path) for path in rule_files}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in rule_files
        for module in sorted(imported_modules(path))
        if module in rule_modules
    ]
    assert offenders == []
