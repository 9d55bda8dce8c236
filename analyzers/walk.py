"""A fast iterative walk over a libcst tree that skips whitespace and punctuation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any

import libcst as cst

# Node kinds no rule looks at: formatting, punctuation and operator tokens. Skipping them
# roughly halves the walk, and an iterative walk cannot hit the recursion limit.
_TRIVIA: tuple[type[cst.CSTNode], ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.Semicolon,
    cst.Colon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.ImportStar,
    cst.Asynchronous,
)

_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if not f.name.startswith("whitespace")
            and f.name not in ("lpar", "rpar", "leading_lines", "header", "footer")
        )
        _FIELDS[kind] = names
    return names


# What a value's type is to the walk: a meaningful node or not (trivia, or not a node).
# Looked up by exact type: isinstance against libcst's abstract bases is slow on this path.
_MEANINGFUL, _SKIPPED, _SEQUENCE = 1, 2, 3
_KINDS: dict[type, int] = {}


def _kind(kind: type) -> int:
    found = _KINDS.get(kind)
    if found is None:
        if issubclass(kind, (list, tuple)):
            found = _SEQUENCE
        elif issubclass(kind, cst.CSTNode) and not issubclass(kind, _TRIVIA):
            found = _MEANINGFUL
        else:
            found = _SKIPPED
        _KINDS[kind] = found
    return found


# Type -> a function returning its child fields' values as a tuple: one `attrgetter` call
# instead of a `getattr` per field (`children` is the hottest function of every walk).
_GETTERS: dict[type[cst.CSTNode], Callable[[cst.CSTNode], tuple[Any, ...]]] = {}


def _no_fields(node: cst.CSTNode) -> tuple[Any, ...]:
    return ()


def _getter(kind: type[cst.CSTNode]) -> Callable[[cst.CSTNode], tuple[Any, ...]]:
    names = _child_fields(kind)
    getter: Callable[[cst.CSTNode], tuple[Any, ...]]
    if not names:
        getter = _no_fields
    elif len(names) == 1:
        one = attrgetter(names[0])  # a single name gives the value, not a tuple

        def getter(node: cst.CSTNode) -> tuple[Any, ...]:
            return (one(node),)
    else:
        getter = attrgetter(*names)
    _GETTERS[kind] = getter
    return getter


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's children that carry meaning, in field order."""
    out: list[cst.CSTNode] = []
    kinds = _KINDS
    for value in (_GETTERS.get(type(node)) or _getter(type(node)))(node):
        kind = kinds.get(type(value)) or _kind(type(value))
        if kind == _MEANINGFUL:
            out.append(value)
        elif kind == _SEQUENCE:
            for item in value:
                if (kinds.get(type(item)) or _kind(type(item))) == _MEANINGFUL:
                    out.append(item)
    return out


def statement_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The clauses and blocks of a statement-level node (its `body`, `handlers`, `orelse`,
    `finalbody`, `cases`), in `children()` order: what holds statements, never expressions."""
    out: list[cst.CSTNode] = []
    for name in ("body", "handlers", "orelse", "finalbody", "cases"):
        value = getattr(node, name, None)
        if value is None:
            continue
        # Plain type checks: these fields hold a node or a sequence of nodes, and
        # isinstance against libcst's abstract classes is slow on this hot path.
        if type(value) is list or type(value) is tuple:
            out.extend(value)
        else:
            out.append(value)
    return out


def iter_subtree(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every meaningful node under `root` (included), depth first, in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


# Exact types (isinstance goes through libcst's ABCMeta): the parser makes no subclasses.
_SCOPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef})


def iter_subtree_no_scopes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Like `iter_subtree`, but not into nested functions, lambdas or classes."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if node is not root and type(node) in _SCOPES:
            continue
        stack.extend(reversed(children(node)))


def find_path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The chain of nodes from `root` down to `target` (both included), or None."""
    stack: list[tuple[cst.CSTNode, int]] = [(root, 0)]
    path: list[cst.CSTNode] = []
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if node is target:
            return path
        stack.extend((child, depth + 1) for child in reversed(children(node)))
    return None
