"""`secrets.string_value` reads most literals without `ast.literal_eval`: the same values."""

from __future__ import annotations

import libcst as cst
import pytest

from agentsense.analyzers.detect import secrets
from agentsense.analyzers.detect.secrets import string_value

LITERALS = [
    '"sk-abc"',
    "'single'",
    '""',
    "''",
    '""""""',
    "''''''",
    '"""a "quoted" line\nand another"""',
    "'''it's'''",
    'r"C:/raw"',
    'R"raw"',
    'u"unicode é"',
    'U"x"',
    'b"bytes"',
    'B"bytes"',
    'rb"raw bytes"',
    'Br"raw bytes"',
    '"tab\\there"',
    'r"back\\slash"',
    '"""line\\\ncontinued"""',
    '"\\N{BULLET} point"',
    '"x" "y"',
    '"x" f"{y}"',
    'b"x" b"y"',
    '"a" "b" \'c\'',
    "\"\"\"doc\"\"\" '''more'''",
    '"\\xff"',
]


@pytest.mark.parametrize("literal", LITERALS)
def test_string_values_are_the_literals_values(literal: str) -> None:
    node = cst.parse_expression(literal)
    try:
        expected = node.evaluated_value  # type: ignore[attr-defined]
    except AttributeError:
        expected = None
    if not isinstance(expected, (str, bytes)):
        expected = None
    assert string_value(node) == expected


def test_a_carriage_return_in_a_literal_is_read_as_python_reads_it() -> None:
    node = cst.SimpleString('"""a\r\nb"""')
    assert string_value(node) == "a\nb"


def test_plain_text_literals_are_read_without_a_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated: list[str] = []
    real = cst.SimpleString.evaluated_value

    def counting(self: cst.SimpleString) -> str | bytes:
        evaluated.append(self.value)
        return real.fget(self)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(cst.SimpleString, "evaluated_value", property(counting))
    assert string_value(cst.parse_expression('"""A tool.\n\nLong docs."""')) == (
        "A tool.\n\nLong docs."
    )
    assert string_value(cst.parse_expression("\"a\" 'b'")) == "ab"
    assert evaluated == []
    assert string_value(cst.parse_expression('"a\\n"')) == "a\n"
    assert evaluated == ['"a\\n"']
    assert secrets.string_value(cst.parse_expression("x")) is None


def test_a_long_implicit_concatenation_has_its_value() -> None:
    """(libcst's own reading recurses once per piece: past the recursion limit it fails.)"""
    lines = [f'"line {n}\\n"' for n in range(3000)]
    node = cst.parse_expression("(\n" + "\n".join(lines) + "\n)")
    assert string_value(node) == "".join(f"line {n}\n" for n in range(3000))
    assert string_value(cst.parse_expression('"a" f"{b}" "c"')) is None
    assert string_value(cst.parse_expression('b"a" b"b"')) == b"ab"
