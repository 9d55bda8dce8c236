"""Mutable values: what builds a fresh mutable container."""

from __future__ import annotations

import libcst as cst

# Calls that build a fresh mutable container (qualified names after import resolution).
MUTABLE_CONSTRUCTORS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.deque",
    }
)
_MUTABLE_LITERALS: frozenset[type[cst.CSTNode]] = frozenset(
    {cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp}
)


def is_mutable_value(node: cst.BaseExpression, qualified: str | None) -> bool:
    """A literal, comprehension or constructor call that creates a mutable container."""
    # Exact types (the parser makes no subclasses; isinstance against libcst's abstract
    # classes is slow).
    if type(node) in _MUTABLE_LITERALS:
        return True
    return type(node) is cst.Call and qualified in MUTABLE_CONSTRUCTORS
