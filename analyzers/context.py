"""Per-file state shared by the rules during one lint: the tree, the walk path, reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar, cast

import libcst as cst

from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.fixes import FixPlan
from agentsense.analyzers.index import FileIndex

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PendingReport:
    """A report whose positions and fix are resolved after the walk."""

    code: str  # the code of the rule that reported it
    node: cst.CSTNode
    end_node: cst.CSTNode | None
    message: str
    fix: FixPlan | None
    secrets: tuple[str, ...]
    # A subtree holding `node` (the module-level statement being walked, or the module);
    # the engine finds the node's enclosing statements in it only when the report survives.
    search_root: cst.CSTNode
    # Other places that explain the finding (node, message), e.g. the other duplicate.
    related: tuple[tuple[cst.CSTNode, str], ...] = ()
    # When `search_root` is a class and the walk was in its body: the body's statement being
    # walked, a smaller subtree that holds `node` in most cases (searched first).
    member: cst.CSTNode | None = None


class FileContext:
    """What rules see of the file being linted."""

    def __init__(self, source: str, path: str, module: cst.Module) -> None:
        self.source = source
        self.path = path
        self.module = module
        # Ancestors of the node being visited, outermost first (the Module at index 0).
        self.path_stack: list[cst.CSTNode] = []
        self.reports: list[PendingReport] = []
        self._shared: dict[Callable[[FileContext], object], object] = {}
        # `enclosing_function`'s last answer: the path's depth and innermost node it was for.
        self._enclosing_depth = 0
        self._enclosing_node: cst.CSTNode | None = None
        self._enclosing: cst.FunctionDef | None = None

    @cached_property
    def facts(self) -> ModuleFacts:
        return ModuleFacts(self.module, source=self.source)

    @cached_property
    def index(self) -> FileIndex:
        """Shared sub-walk results (a scope's nodes, assignments, blocks), built lazily."""
        return FileIndex(self.module, self.source, self.facts.words)

    def shared(self, factory: Callable[[FileContext], T]) -> T:
        """One instance of `factory(self)` per file, shared by every rule that asks.

        For per-file indexes that several rules need (e.g. scope bindings): built on first
        use, so files whose rules never ask pay nothing.
        """
        found = self._shared.get(factory)
        if found is None:
            found = self._shared[factory] = factory(self)
        return cast(T, found)

    def qualified_name(self, node: cst.BaseExpression) -> str | None:
        return self.facts.qualified_name(node)

    @property
    def ancestors(self) -> Sequence[cst.CSTNode]:
        """Ancestors of the current node, innermost last (excluding the node itself)."""
        return self.path_stack[:-1]

    def enclosing(self, *kinds: type[cst.CSTNode]) -> cst.CSTNode | None:
        """The innermost ancestor of one of `kinds`, if any."""
        for node in reversed(self.path_stack[:-1]):
            if isinstance(node, kinds):
                return node
        return None

    def enclosing_function(self) -> cst.FunctionDef | None:
        """The innermost `def` (sync or async) around the current node; lambdas stop it."""
        # Several rules ask for the same node: the last answer is kept with the node and its
        # depth, which tell its ancestors (no node of a parsed tree has two parents).
        stack = self.path_stack
        depth = len(stack)
        if depth == self._enclosing_depth and depth and stack[-1] is self._enclosing_node:
            return self._enclosing
        found: cst.FunctionDef | None = None
        # Exact types (the parser makes no subclasses): asked for most nodes of every file,
        # and isinstance against libcst's abstract classes is slow.
        for position in range(depth - 2, -1, -1):
            node = stack[position]
            kind = type(node)
            if kind is cst.FunctionDef:
                found = cast(cst.FunctionDef, node)
                break
            if kind is cst.Lambda or kind is cst.ClassDef:
                break
        self._enclosing_depth = depth
        self._enclosing_node = stack[-1] if depth else None
        self._enclosing = found
        return found

    def in_async_function(self) -> bool:
        function = self.enclosing_function()
        return function is not None and function.asynchronous is not None

    def report(
        self,
        code: str,
        node: cst.CSTNode,
        message: str,
        *,
        fix: FixPlan | None = None,
        secrets: Sequence[str] = (),
        end_node: cst.CSTNode | None = None,
        related: Sequence[tuple[cst.CSTNode, str]] = (),
    ) -> None:
        stack = self.path_stack
        root = stack[1] if len(stack) > 1 else self.module
        member = (
            stack[3]
            if len(stack) > 3 and type(root) is cst.ClassDef and type(stack[2]) is cst.IndentedBlock
            else None
        )
        self.reports.append(
            PendingReport(
                code, node, end_node, message, fix, tuple(secrets), root, tuple(related), member
            )
        )
