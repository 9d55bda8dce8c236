"""The values of string literals in a libcst tree: `string_value`, and the name a value is
stored under (`target_name`), read without `ast.literal_eval` where Python's own decoder
reads the literal as the parser does."""

from __future__ import annotations

import re
from typing import cast

import libcst as cst


def string_value(node: cst.CSTNode) -> str | bytes | None:
    """The value of a plain (not formatted) string or bytes literal, else None."""
    # Exact types (the parser makes no subclasses; isinstance against libcst's abstract
    # classes is slow).
    if type(node) is not cst.SimpleString and type(node) is not cst.ConcatenatedString:
        return None
    try:
        value = _literal_value(node)
    except Exception:  # libcst evaluates with `ast.literal_eval`; odd escapes raise
        return None
    return value if isinstance(value, (str, bytes)) else None


_TEXT_PREFIXES = frozenset({"", "r", "u", "R", "U"})


def _literal_value(node: cst.SimpleString | cst.ConcatenatedString) -> str | bytes | None:
    """`node.evaluated_value` where it is a str or bytes (anything else is None: a formatted
    part, text and bytes mixed), read piece by piece: libcst's recursion per concatenated
    piece, and its `ast.literal_eval` of each, are slow on long implicit concatenations
    (a 500-line help text asked about at every level)."""
    if type(node) is cst.SimpleString:
        return _piece_value(node)
    pieces: list[str | bytes] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.ConcatenatedString:
            stack.append(current.right)
            stack.append(current.left)
        elif type(current) is cst.SimpleString:
            pieces.append(_piece_value(current))
        else:
            return None  # a formatted string: no value
    if all(type(piece) is str for piece in pieces):
        return "".join(cast("list[str]", pieces))
    if all(type(piece) is bytes for piece in pieces):
        return b"".join(cast("list[bytes]", pieces))
    return None


def _piece_value(node: cst.SimpleString) -> str | bytes:
    """`node.evaluated_value`; without `ast.literal_eval` (a parse of the literal, ~4 us) for
    a text literal with no carriage return (a raw one, or one whose escapes Python's own
    decoder reads as the parser does): the text between its quotes, its escapes decoded."""
    text = node.value
    if "\r" not in text:
        start = len(text) - len(text.lstrip("rRuUbBfF"))
        prefix = text[:start]
        if prefix in _TEXT_PREFIXES:
            quote = 3 if text.startswith(('"""', "'''"), start) else 1
            body = text[start + quote : len(text) - quote]
            if "\\" not in body or prefix in _RAW_PREFIXES:
                return body
            if body.isascii() and _UNSURE_ESCAPE.search(body) is None:
                # The parser decodes an ASCII literal's escapes with this very codec.
                return body.encode("ascii").decode("unicode_escape")
    return node.evaluated_value


_RAW_PREFIXES = frozenset({"r", "R"})
# A backslash not followed by an escape Python knows, or an octal escape past 0o377 (both
# warn), or maybe one of these: `\\d` (an escaped backslash, then `d`) is matched too and
# read the slow way, which is still right.
_UNSURE_ESCAPE = re.compile(r"\\(?:(?![\\'\"abfnrtv0-7xNuU\n])|[4-7][0-7]{2})")


def target_name(node: cst.CSTNode) -> str | None:
    """The name a value is stored under: `x`, `self.x`, `config["x"]` -> `x`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            key = string_value(index.value)
            return key if isinstance(key, str) else None
    return None
