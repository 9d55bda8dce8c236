"""libcst's `parse_module` without re-checking, node by node, what its parser guarantees.

libcst validates every node built (its dataclass `__init__` calls `__post_init__`, which calls
`_validate`), the nodes its own parser builds too: 1.3 M calls for the 220 k lines of the
framework corpus, 10-17 % of the parse (libcst's own comment there: "It might make more sense
to move validation work into the visitor, which would allow us to avoid validating the tree
when parsing a file"). The concrete node classes get an `__init__` of ours (once per process),
generated from their dataclass fields as `dataclasses` generates theirs: it stores the same
fields with the same defaults, then does what libcst's check does, except for the nodes a
thread builds while it runs `parse_valid_python`:

- classes with nothing to validate (punctuation, most whitespace holders): nothing;
- `SimpleWhitespace`, `Name`, `Newline`, `Comment` and `IndentedBlock` (60 % of all nodes):
  the check only when a cheap test does not prove it passes (`" "`, a plain identifier);
- `_BUILT_CONSISTENT` classes: no check, because it only restates how the parser builds them
  (parentheses in pairs, `=` only with a keyword, a semicolon between two statements on a
  line) or what CPython's grammar refuses too (a positional argument after `**`, `"a" b"b"`);
- every other class, among them all whose check can reject code CPython accepts (`return.0`:
  "Must have at least one space after 'return'"): libcst's own `__init__` and check, as always.

So the tree and every `CSTValidationError` are libcst's own. Our `__init__` also skips the
`__post_init__` call and sets each slot through its descriptor, which makes building a node
faster outside a parse too (with `__post_init__` hooks alone, the parse took 0.91x libcst's
own; now 0.84x). Callers use it only for text CPython's `compile` accepted; other text goes to
`libcst.parse_module` unchanged. Nodes built by any other thread, or by this one outside the
parse (fixes: `with_changes`, `parse_expression`), are validated as libcst validates them: the
`__init__` asks whether the thread is parsing. It stays in place rather than being put back
after each parse: every change to a class spends one of the versions CPython (3.13) gives a
class, and past 1 000 its attribute lookups run uncached (reads of a node's fields measured 3x
slower).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from types import MemberDescriptorType
from typing import Any

import libcst as cst
from libcst._nodes.expression import _BaseParenthesizedNode

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

# The cheap tests: a node of the class built while its thread parses still gets libcst's check
# when this condition over its fields (Python source, fields by name) holds. Each is true for
# every value the check rejects (`test_the_cheap_tests_decide_as_libcsts_checks`).
_CHEAP_TESTS: dict[type[cst.CSTNode], str] = {
    # libcst's check: only spaces, tabs and form feeds (and continuations, left to it).
    cst.SimpleWhitespace: 'value.strip(" \\t\\f")',
    # Parentheses in pairs, a non-empty identifier.
    cst.Name: "lpar or rpar or not value.isidentifier()",
    cst.Newline: "value not in _NEWLINES",
    cst.Comment: 'not value.startswith("#") or "\\n" in value or "\\r" in value',
    cst.IndentedBlock: 'indent is not None and (not indent or indent.strip(" \\t\\f"))',
}
# Nothing to check while parsing: the class's check is empty, or restates the parser.
_NEVER = "False"

_NEWLINES = frozenset({None, "", "\n", "\r\n", "\r"})

_lock = threading.Lock()
# Thread id -> how many `parse_valid_python` calls it is inside.
_parsing_threads: dict[int, int] = {}
_installed = False


def parse_valid_python(source: str) -> cst.Module:
    """`libcst.parse_module(source)`, for text CPython's `compile` accepts (the same tree and
    the same exceptions), without re-validating what the parser guarantees."""
    with _parser_nodes_trusted():
        return cst.parse_module(source)


@contextmanager
def _parser_nodes_trusted() -> Iterator[None]:
    global _installed
    thread = threading.get_ident()
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
    for cls, init in _cheaper_inits():
        setattr(cls, "__init__", init)  # noqa: B010  # replaces the dataclass's, by name


@cache
def _cheaper_inits() -> tuple[tuple[type[cst.CSTNode], Callable[..., None]], ...]:
    """The node classes the parser builds that get an `__init__` of ours, with it (chosen
    from libcst's own classes before any is changed)."""
    chosen = [
        (cls, condition)
        for cls in _leaf_classes()
        if (condition := _cheap_test(cls)) is not None and _plain_dataclass(cls)
    ]
    return tuple(zip((cls for cls, _ in chosen), _generated_inits(chosen), strict=True))


def _cheap_test(cls: type[cst.CSTNode]) -> str | None:
    """The condition for still checking a node built while parsing, or None when the class
    keeps libcst's check."""
    if cls._validate is cst.CSTNode._validate:
        return _NEVER
    exact = _CHEAP_TESTS.get(cls)
    if exact is not None:
        return exact
    if cls._validate is _BaseParenthesizedNode._validate or cls in _BUILT_CONSISTENT:
        return _NEVER
    return None


def _plain_dataclass(cls: type[cst.CSTNode]) -> bool:
    """A class whose dataclass `__init__` only stores its fields, in order, each in a slot,
    and calls libcst's `__post_init__` (every node class today): what `_generated_inits`
    reproduces."""
    return (
        "__init__" in cls.__dict__
        and cls.__post_init__ is cst.CSTNode.__post_init__
        and dataclasses.is_dataclass(cls)
        and all(
            field.init
            and not field.kw_only
            and type(cls.__dict__.get(field.name)) is MemberDescriptorType
            for field in dataclasses.fields(cls)
        )
    )


# The default of a field with a default factory, as the dataclass `__init__` has it: the
# value stands for "call the factory" when passed explicitly too (Hypothesis's `builds` does).
_FACTORY: object = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", object())


def _generated_inits(
    chosen: Sequence[tuple[type[cst.CSTNode], str]],
) -> list[Callable[..., None]]:
    """For each class, an `__init__` taking and storing what the dataclass's does, then
    validating unless this thread is parsing and the class's condition is false.

    Generated as `dataclasses` generates `__init__` (source text, here one text for all
    classes, compiled once per process: ~10 ms): a field with a default factory defaults to a
    marker, replaced by a fresh value. Each field is set through its slot's descriptor, which
    is what `object.__setattr__` ends up calling for a frozen dataclass."""
    scope: dict[str, Any] = {
        "_get_ident": threading.get_ident,
        "_parsing": _parsing_threads,
        "_NEWLINES": _NEWLINES,
        "_FACTORY": _FACTORY,
    }
    lines: list[str] = []
    for number, (cls, condition) in enumerate(chosen):
        parameters: list[str] = []
        stores: list[str] = []
        for index, field in enumerate(dataclasses.fields(cls)):
            name, value, key = field.name, field.name, f"_{number}_{index}"
            if field.default is not dataclasses.MISSING:
                scope[f"_default{key}"] = field.default
                parameters.append(f"{name}=_default{key}")
            elif field.default_factory is not dataclasses.MISSING:
                scope[f"_factory{key}"] = field.default_factory
                parameters.append(f"{name}=_FACTORY")
                value = f"_factory{key}() if {name} is _FACTORY else {name}"
            else:
                parameters.append(name)
            scope[f"_set{key}"] = cls.__dict__[name].__set__  # a slot (`_plain_dataclass`)
            stores.append(f"    _set{key}(self, {value})")
        check = "_get_ident() not in _parsing"
        if condition != _NEVER:
            check = f"{check} or {condition}"
        lines += [
            f"def _init_{number}(self, {', '.join(parameters)}):",
            *stores,
            f"    if {check}:",
            "        self._validate()",
        ]
    # The text built above: our own, never user code.
    exec(compile("\n".join(lines), "<agentsense: node __init__>", "exec"), scope)
    inits: list[Callable[..., None]] = []
    for number, (cls, _) in enumerate(chosen):
        init = scope[f"_init_{number}"]
        init.__name__ = "__init__"
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__module__ = cls.__module__
        inits.append(init)
    return inits


def _leaf_classes() -> list[type[cst.CSTNode]]:
    """The node classes libcst's modules define with no subclasses (no one else's: ours are
    built by us). `__subclasses__` also lists the classes libcst's `add_slots` replaced by
    slotted copies, while they live: those are left out, since no module names them."""
    leaves: list[type[cst.CSTNode]] = []
    seen: set[type[cst.CSTNode]] = set()
    stack: list[type[cst.CSTNode]] = cst.CSTNode.__subclasses__()
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        if not subclasses and _named_by_libcst(cls):
            leaves.append(cls)
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return leaves


def _named_by_libcst(cls: type[cst.CSTNode]) -> bool:
    module = cls.__module__
    return module.startswith("libcst.") and getattr(sys.modules[module], cls.__name__, None) is cls
