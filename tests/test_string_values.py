"""`string_literals.string_value` reads most literals without `ast.literal_eval`: the same values."""

from __future__ import annotations

import ast
import warnings

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentsense.analyzers.detect.string_literals import string_value

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


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The literals read through libcst's `evaluated_value` (a parse), as the test goes."""
    read: list[str] = []
    real = cst.SimpleString.evaluated_value

    def counting(self: cst.SimpleString) -> str | bytes:
        read.append(self.value)
        return real.fget(self)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(cst.SimpleString, "evaluated_value", property(counting))
    return read


def test_plain_text_literals_are_read_without_a_parse(evaluated: list[str]) -> None:
    assert string_value(cst.parse_expression('"""A tool.\n\nLong docs."""')) == (
        "A tool.\n\nLong docs."
    )
    assert string_value(cst.parse_expression("\"a\" 'b'")) == "ab"
    assert evaluated == []
    assert string_value(cst.parse_expression('b"a"')) == b"a"
    assert evaluated == ['b"a"']
    assert string_value(cst.parse_expression("x")) is None


def test_a_long_implicit_concatenation_has_its_value() -> None:
    """(libcst's own reading recurses once per piece: past the recursion limit it fails.)"""
    lines = [f'"line {n}\\n"' for n in range(3000)]
    node = cst.parse_expression("(\n" + "\n".join(lines) + "\n)")
    assert string_value(node) == "".join(f"line {n}\n" for n in range(3000))
    assert string_value(cst.parse_expression('"a" f"{b}" "c"')) is None
    assert string_value(cst.parse_expression('b"a" b"b"')) == b"ab"


# Pieces of literal bodies: escapes Python knows and some it does not, quotes, text.
_BODY_PIECES = st.sampled_from(
    ["\\n", "\\t", "\\\\", "\\'", '\\"', "\\x41", "\\101", "\\0", "\\777", "\\400", "\\u00e9",
     "\\U0001F600", "\\N{BULLET}", "\\d", "\\w", "\\\n", "\\a", "\\b", "\\f", "\\v", "\\r",
     "a", "Z", " ", "'", '"', "é", "€", "\n", "7"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(["", "u", "U", "r", "R"]),
    quote=st.sampled_from(['"', "'", '"""', "'''"]),
    body=st.lists(_BODY_PIECES, max_size=12).map("".join),
)
def test_literals_with_escapes_read_as_python_reads_them(
    prefix: str, quote: str, body: str
) -> None:
    literal = f"{prefix}{quote}{body}{quote}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = ast.literal_eval(literal)
    except (SyntaxError, ValueError):
        return  # not a literal Python accepts (its value does not matter)
    try:
        node = cst.parse_expression(literal)
    except cst.ParserSyntaxError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (libcst's own reading warns as Python does)
        assert string_value(node) == expected


def test_common_escapes_are_read_without_a_parse(evaluated: list[str]) -> None:
    assert string_value(cst.parse_expression('"Line one\\n\\tTwo: \\"x\\" \\x41"')) == (
        'Line one\n\tTwo: "x" A'
    )
    assert string_value(cst.parse_expression('r"\\d+\\s"')) == "\\d+\\s"
    assert evaluated == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what is read without a parse warns about nothing
        assert string_value(cst.parse_expression('"\\101\\N{BULLET}\\\n"')) == "A\u2022"
    assert string_value(cst.parse_expression('"\\\\d"')) == "\\d"  # unsure: parsed
    assert string_value(cst.parse_expression('b"\\n"')) == b"\n"  # bytes: parsed
    assert evaluated == ['"\\\\d"', 'b"\\n"']
