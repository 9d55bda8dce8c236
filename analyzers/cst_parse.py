"""libcst's `parse_module` without re-checking, node by node, what its parser guarantees.

libcst validates every node built (`CSTNode.__post_init__` calls `_validate`), the nodes its
own parser builds too: 1.3 M calls for the 220 k lines of the framework corpus, 10-17 % of the
parse (libcst's own comment there: "It might make more sense to move validation work into the
visitor, which would allow us to avoid validating the tree when parsing a file"). The concrete
node classes get a `__post_init__` of ours (once per process) that does what libcst's does,
except for the nodes a thread builds while it runs `parse_valid_python`:

- classes with nothing to validate (punctuation, most whitespace holders): nothing;
- `SimpleWhitespace`, `Name`, `Newline`, `Comment` and `IndentedBlock` (60 % of all nodes):
  the check only when a cheap test does not prove it passes (`" "`, a plain identifier);
- `_BUILT_CONSISTENT` classes: no check, because it only restates how the parser builds them
  (parentheses in pairs, `=` only with a keyword, a semicolon between two statements on a
  line) or what CPython's grammar refuses too (a positional argument after `**`, `"a" b"b"`);
- every other class, among them all whose check can reject code CPython accepts (`return.0`:
  "Must have at least one space after 'return'"): libcst's check, as always.

So the tree and every `CSTValidationError` are libcst's own. Callers use it only for text
CPython's `compile` accepted; other text goes to `libcst.parse_module` unchanged. Nodes built
by any other thread, or by this one outside the parse (fixes: `with_changes`,
`parse_expression`), are validated as libcst validates them: the hooks ask whether the thread
is parsing. They stay in place rather than being put back after each parse: every change to a
class spends one of the versions CPython (3.13) gives a class, and past 1 000 its attribute
lookups run uncached (reads of a node's fields measured 3x slower).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import libcst as cst
from libcst._nodes.expression import _BaseParenthesizedNode

# A `__post_init__`; each takes the nodes of its own class.
PostInit = Callable[[Any], None]

# Checks that only restate how the parser builds a node, or what CPython's grammar (the text
# was compiled first) refuses too; see each class's `_validate`. `Arg`/`Param`/`AnnAssign`:
# `=` only with a keyword / default / value, a star among "", "*", "**". `Assign`: a target.
# `Subscript`: an element. `Tuple`: an empty one in parentheses. `SimpleStatementLine`/
# `SimpleStatementSuite`: a semicolon between two small statements. `Call`: the argument order.
# The strings: a prefix and quotes of a string token, a conversion among !s !r !a, no `str`
# joined to `bytes`, no parentheses inside a concatenation. And parentheses in pairs (the only
# check of the classes added below, and the first of all these).
# tests/test_cst_parse.py checks that none of them checks whitespace.
_BUILT_CONSISTENT: frozenset[type[cst.CSTNode]] = frozenset(
    {
        cst.Arg,
        cst.Param,
        cst.AnnAssign,
        cst.Assign,
        cst.Subscript,
        cst.Tuple,
        cst.SimpleStatementLine,
        cst.SimpleStatementSuite,
        cst.Call,
        cst.SimpleString,
        cst.ConcatenatedString,
        cst.FormattedString,
        cst.FormattedStringExpression,
    }
)

_NEWLINES = frozenset({None, "", "\n", "\r\n", "\r"})

_lock = threading.Lock()
# Thread id -> how many `parse_valid_python` calls it is inside.
_parsing_threads: dict[int, int] = {}
_get_ident = threading.get_ident
_installed = False


def parse_valid_python(source: str) -> cst.Module:
    """`libcst.parse_module(source)`, for text CPython's `compile` accepts (the same tree and
    the same exceptions), without re-validating what the parser guarantees."""
    with _parser_nodes_trusted():
        return cst.parse_module(source)


@contextmanager
def _parser_nodes_trusted() -> Iterator[None]:
    global _installed
    thread = _get_ident()
    with _lock:
        if not _installed:
            _install()
            _installed = True
        _parsing_threads[thread] = _parsing_threads.get(thread, 0) + 1
    try:
        yield
    finally:
        with _lock:
            depth = _parsing_threads[thread] - 1
            if depth:
                _parsing_threads[thread] = depth
            else:
                del _parsing_threads[thread]


def _install() -> None:
    for cls, post_init in _cheaper_post_inits():
        setattr(cls, "__post_init__", post_init)  # noqa: B010  # a dataclass hook, by name


@cache
def _cheaper_post_inits() -> tuple[tuple[type[cst.CSTNode], PostInit], ...]:
    """The concrete node classes (the parser builds no others) that get a hook, with it."""
    chosen: list[tuple[type[cst.CSTNode], PostInit]] = []
    for cls in _leaf_classes():
        if "__post_init__" in cls.__dict__:
            continue  # its own hook (none in libcst): left alone
        post_init = _cheaper_post_init(cls)
        if post_init is not None:
            chosen.append((cls, post_init))
    return tuple(chosen)


def _cheaper_post_init(cls: type[cst.CSTNode]) -> PostInit | None:
    validate = cls._validate
    if validate is cst.CSTNode._validate:
        return _nothing_to_validate
    exact = _EXACT.get(cls)
    if exact is not None:
        return exact
    if validate is _BaseParenthesizedNode._validate or cls in _BUILT_CONSISTENT:
        return _validate_unless_parsing
    return None


def _leaf_classes() -> list[type[cst.CSTNode]]:
    leaves: list[type[cst.CSTNode]] = []
    seen: set[type[cst.CSTNode]] = set()
    stack: list[type[cst.CSTNode]] = cst.CSTNode.__subclasses__()
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        if not subclasses:
            leaves.append(cls)
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return leaves


# Each hook: libcst's check, unless this thread is inside `parse_valid_python` and the check
# cannot fail. (The defaults save global lookups per node.)


def _nothing_to_validate(
    node: cst.CSTNode,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    if get_ident() not in parsing:
        node._validate()  # libcst's: empty


def _validate_unless_blank(
    node: cst.SimpleWhitespace,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    if get_ident() not in parsing or node.value.strip(" \t\f"):
        node._validate()


def _validate_unless_plain_name(
    node: cst.Name,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    # libcst's check: parentheses in pairs, a non-empty identifier.
    if get_ident() not in parsing or node.lpar or node.rpar or not node.value.isidentifier():
        node._validate()


def _validate_unless_newline(
    node: cst.Newline,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    if get_ident() not in parsing or node.value not in _NEWLINES:
        node._validate()


def _validate_unless_one_line_comment(
    node: cst.Comment,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    value = node.value
    if get_ident() not in parsing or not value.startswith("#") or "\n" in value or "\r" in value:
        node._validate()


def _validate_unless_blank_indent(
    node: cst.IndentedBlock,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    indent = node.indent
    if get_ident() not in parsing or (indent is not None and (not indent or indent.strip(" \t\f"))):
        node._validate()


_EXACT: dict[type[cst.CSTNode], PostInit] = {
    cst.SimpleWhitespace: _validate_unless_blank,
    cst.Name: _validate_unless_plain_name,
    cst.Newline: _validate_unless_newline,
    cst.Comment: _validate_unless_one_line_comment,
    cst.IndentedBlock: _validate_unless_blank_indent,
}


def _validate_unless_parsing(
    node: cst.CSTNode,
    get_ident: Callable[[], int] = _get_ident,
    parsing: dict[int, int] = _parsing_threads,
) -> None:
    if get_ident() not in parsing:
        node._validate()
