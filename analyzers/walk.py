"""A fast iterative walk over a libcst tree that skips whitespace and punctuation.

Every walk here (and the engine's) gets a node's children from a small function generated
once per node type (`child_pusher`) from the type's dataclass fields and their annotations:
formatting fields and fields annotated to hold only strings, trivia or sentinels are left
out, a field annotated to hold one node (or a sequence of nodes) of meaningful kinds is read
without a type test, and anything else is filtered value by value as a plain walk would.
libcst's parser builds every node with values of its fields' annotated types;
tests/test_walk.py checks the walks against a walk that type-tests every value.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Iterator, MutableSequence, Sequence
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
# Fields never walked, whatever they hold: formatting.
_FORMATTING_FIELDS = frozenset({"lpar", "rpar", "leading_lines", "header", "footer"})


def _child_fields(kind: type[cst.CSTNode]) -> list[dataclasses.Field[Any]]:
    return [
        f
        for f in dataclasses.fields(kind)
        if not f.name.startswith("whitespace") and f.name not in _FORMATTING_FIELDS
    ]


# What a value's type is to the walk: a meaningful node or not (trivia, or not a node).
# Looked up by exact type: isinstance against libcst's abstract bases is slow on this path.
_MEANINGFUL, _SKIPPED, _SEQUENCE = 1, 2, 3
_KINDS: dict[type, int] = {}
_TRIVIA_SET = frozenset(_TRIVIA)


def _kind(kind: type) -> int:
    found = _KINDS.get(kind)
    if found is None:
        # The classes a type derives from are its MRO (libcst registers no virtual subclasses):
        # `issubclass` against libcst's ABCs would cost ~0.3 ms a type.
        bases = kind.__mro__
        if list in bases or tuple in bases:
            found = _SEQUENCE
        elif cst.CSTNode in bases and _TRIVIA_SET.isdisjoint(bases):
            found = _MEANINGFUL
        else:
            found = _SKIPPED
        _KINDS[kind] = found
    return found


def _push_value(value: object, stack: list[cst.CSTNode]) -> None:
    """Push a field's meaningful nodes, last first, whatever the field holds (a node, a
    sequence of nodes, trivia, a string, None)."""
    kinds = _KINDS
    kind = kinds.get(type(value)) or _kind(type(value))
    if kind == _MEANINGFUL:
        stack.append(value)  # type: ignore[arg-type]  # a meaningful node, by its type
    elif kind == _SEQUENCE:
        for item in reversed(value):  # type: ignore[call-overload]  # a list or tuple
            if (kinds.get(type(item)) or _kind(type(item))) == _MEANINGFUL:
                stack.append(item)


# What a field's annotation says it can hold, for the walk: never a meaningful node (a
# string, trivia, None), always one, one or None, a sequence of meaningful nodes only, or
# anything (looked at value by value, as `_push_value` does).
_NEVER, _ALWAYS, _OPTIONAL, _SEQUENCE_OF_NODES, _ANY = range(5)


def _subclasses(kind: type) -> Iterator[type]:
    yield kind
    sub: type
    for sub in kind.__subclasses__():
        yield from _subclasses(sub)


def concrete_types(base: type) -> frozenset[type]:
    """The classes a node `isinstance(node, base)` accepts can be exactly: `base` and its
    subclasses, without the abstract ones. For `type(node) in ...` tests against libcst's
    abstract classes (`cst.BaseExpression`): an `isinstance` against any libcst node class
    that fails goes through `ABCMeta.__instancecheck__` (a Python call, ~0.1-0.2 us)."""
    return frozenset(sub for sub in _subclasses(base) if not inspect.isabstract(sub))


def _member(annotation: object) -> int:
    """`_NEVER`, `_ALWAYS` or `_ANY` for one member of an annotation's union."""
    if isinstance(annotation, typing.ForwardRef):  # a libcst node named before its class
        annotation = getattr(cst, annotation.__forward_arg__, None)
    if typing.get_origin(annotation) is typing.Literal:
        return _NEVER if all(type(v) is str for v in typing.get_args(annotation)) else _ANY
    if annotation in (str, int, float, bool, type(None), cst.MaybeSentinel):
        return _NEVER
    if isinstance(annotation, type) and issubclass(annotation, cst.CSTNode):
        if _kind(annotation) == _SKIPPED:
            return _NEVER
        # An abstract class stands for all its subclasses: trivia among them would have to be
        # filtered value by value.
        if all(_kind(sub) == _MEANINGFUL for sub in _subclasses(annotation)):
            return _ALWAYS
    return _ANY


_SHAPES: dict[object, int] = {}


def _field_shape(annotation: object) -> int:
    """What a field annotated `annotation` holds, for the walk (see `_NEVER`...)."""
    found = _SHAPES.get(annotation)
    if found is None:
        found = _SHAPES[annotation] = _shape(annotation)
    return found


def _shape(annotation: object) -> int:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
    else:
        members = (annotation,)
    optional = type(None) in members
    shapes = {_member(m) for m in members if m is not type(None)}
    if origin is Sequence or origin is MutableSequence:
        (item,) = typing.get_args(annotation)
        shape = _field_shape(item)
        return _NEVER if shape == _NEVER else _SEQUENCE_OF_NODES if shape == _ALWAYS else _ANY
    if shapes == {_NEVER}:
        return _NEVER
    if shapes == {_ALWAYS}:
        return _OPTIONAL if optional else _ALWAYS
    return _ANY


# A function appending a node's meaningful children to a stack, last first (so that popping
# the stack yields them in field order): one generated per node type, with the fields that
# can hold nothing meaningful left out and plain code for the fields whose annotation says
# exactly what they hold (a node, a node or None, a sequence of nodes). `children` is the
# hottest function of every walk; this is it without a loop over fields or a type look-up per
# value for most of them.
PushChildren = Callable[[cst.CSTNode, list[cst.CSTNode]], None]
_PUSHERS: dict[type, PushChildren | None] = {}


def _make_pusher(kind: type) -> PushChildren | None:
    lines: list[str] = []
    group: list[str] = []  # fields always holding one meaningful node, pushed in one go

    def flush() -> None:
        if group:
            lines.append(f"    stack += ({', '.join(group)},)")
            group.clear()

    for field in reversed(_child_fields(kind)):
        shape = _field_shape(field.type)
        value = f"node.{field.name}"
        if shape == _NEVER:
            continue
        if shape == _ALWAYS:
            group.append(value)
            continue
        flush()
        if shape == _OPTIONAL:
            lines += [
                f"    value = {value}",
                "    if value is not None:",
                "        stack.append(value)",
            ]
        elif shape == _SEQUENCE_OF_NODES:
            lines.append(f"    stack += {value}[::-1]")
        else:
            lines.append(f"    push_value({value}, stack)")
    flush()
    return _compile_pusher(lines, f"children of {kind.__name__}")


def _compile_pusher(lines: list[str], name: str) -> PushChildren | None:
    """The function `def push(node, stack)` with this body (None for no lines)."""
    if not lines:
        return None
    source = "def push(node, stack):\n" + "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {"push_value": _push_value}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    pusher: PushChildren = namespace["push"]
    return pusher


def child_pusher(kind: type) -> PushChildren | None:
    """For nodes of exact type `kind`: the function appending a node's meaningful children
    to a stack, last first (`children(node)` reversed), or None when that type never has
    any (a `Name`, a string, `pass`)."""
    found = _PUSHERS.get(kind, _pushers_missing)
    if found is _pushers_missing:
        found = _PUSHERS[kind] = _make_pusher(kind)
    return found


def _pushers_missing(node: cst.CSTNode, stack: list[cst.CSTNode]) -> None:
    """The "not built yet" sentinel of `_PUSHERS` (None means "no children")."""


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's children that carry meaning, in field order."""
    push = _PUSHERS.get(type(node), _pushers_missing)
    if push is _pushers_missing:
        push = child_pusher(type(node))
    out: list[cst.CSTNode] = []
    if push is not None:
        push(node, out)
        out.reverse()
    return out


_STATEMENT_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")


def statement_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The clauses and blocks of a statement-level node (its `body`, `handlers`, `orelse`,
    `finalbody`, `cases`), in `children()` order: what holds statements, never expressions."""
    out: list[cst.CSTNode] = []
    push = statement_child_pusher(type(node))
    if push is not None:
        push(node, out)
        out.reverse()
    return out


# Node type -> its `statement_child_pusher`. These fields hold a node, a sequence of nodes or
# None (told apart by exact type: isinstance against libcst's ABCs is slow).
_STATEMENT_PUSHERS: dict[type, PushChildren | None] = {}


def statement_child_pusher(kind: type) -> PushChildren | None:
    """`child_pusher` for `statement_children` (what they push, last first): None for a type
    without any of those fields."""
    if kind in _STATEMENT_PUSHERS:
        return _STATEMENT_PUSHERS[kind]
    names = {f.name for f in dataclasses.fields(kind)}
    lines: list[str] = []
    for name in reversed(_STATEMENT_FIELDS):
        if name in names:
            lines += [
                f"    value = node.{name}",
                "    if type(value) is list or type(value) is tuple:",
                "        stack += value[::-1]",
                "    elif value is not None:",
                "        stack.append(value)",
            ]
    found = _compile_pusher(lines, f"statement children of {kind.__name__}")
    _STATEMENT_PUSHERS[kind] = found
    return found


def iter_subtree(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every meaningful node under `root` (included), depth first, in source order."""
    stack = [root]
    pushers = _PUSHERS
    while stack:
        node = stack.pop()
        yield node
        push = pushers.get(type(node), _pushers_missing)
        if push is _pushers_missing:
            push = child_pusher(type(node))
        if push is not None:
            push(node, stack)


# Exact types (isinstance goes through libcst's ABCMeta): the parser makes no subclasses.
_SCOPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef})


def iter_subtree_no_scopes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Like `iter_subtree`, but not into nested functions, lambdas or classes."""
    stack = [root]
    pushers = _PUSHERS
    scopes = _SCOPES
    while stack:
        node = stack.pop()
        yield node
        kind = type(node)
        if kind in scopes and node is not root:
            continue
        push = pushers.get(kind, _pushers_missing)
        if push is _pushers_missing:
            push = child_pusher(kind)
        if push is not None:
            push(node, stack)


def find_path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The chain of nodes from `root` down to `target` (both included), or None."""
    # The stack holds nodes to enter and, under each entered node's children, None: leaving
    # that node (popping it from `path`).
    stack: list[cst.CSTNode | None] = [root]
    path: list[cst.CSTNode] = []
    while stack:
        node = stack.pop()
        if node is None:
            path.pop()
            continue
        path.append(node)
        if node is target:
            return path
        push = child_pusher(type(node))
        if push is None:
            path.pop()
        else:
            stack.append(None)
            push(node, stack)  # type: ignore[arg-type]  # a stack of nodes and markers
    return None
