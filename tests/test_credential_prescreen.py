"""The cheap pre-screen before the credential patterns never hides a credential (AGT302)."""

from __future__ import annotations

import textwrap

import libcst as cst
from hypothesis import given, settings
from hypothesis import strategies as st

from agentsense.analyzers.detect.secrets import CREDENTIAL_FORMATS, might_hold_credential
from agentsense.analyzers.rules.secrets.hardcoded_secret import HardcodedSecret, _cannot_flag

# Pieces credentials are made of, so random texts often come near a format.
_PIECES = st.sampled_from(
    [
        "sk-", "sk-ant-", "api03-", "proj-", "sk_live_", "rk_live_", "AKIA", "ASIA", "ghp_",
        "github_pat_", "xoxb-", "AIza", "hf_", "eyJ", ".", "-", "_", " ", "\\n", "'", '"',
        "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----", "Proc-Type:",
        "123456", "xoxp-", "\u0660\u0661\u0662\u0663\u0664\u0665", "abcdefghij", "ABCDEFGHIJ", "0123456789", "Zz9", "+/=",
    ]
)  # fmt: skip
_TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=16).map("".join)


def _any_format_matches(text: str) -> bool:
    return any(fmt.pattern.search(text) for fmt in CREDENTIAL_FORMATS)


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_screen_passes_every_text_a_format_matches(text: str) -> None:
    if _any_format_matches(text):
        assert might_hold_credential(text)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(list(CREDENTIAL_FORMATS)).flatmap(lambda f: st.from_regex(f.pattern)))
def test_screen_passes_strings_generated_from_each_format(text: str) -> None:
    assert might_hold_credential(text)


def test_screen_passes_the_rules_own_flagged_literals() -> None:
    seen = 0
    for example in HardcodedSecret.flagged:
        module = cst.parse_module(textwrap.dedent(example.code))
        for node in _simple_strings(module):
            value = node.evaluated_value
            if isinstance(value, str) and _any_format_matches(value):
                seen += 1
                assert might_hold_credential(value)
                assert not _cannot_flag(node, None)
    assert seen >= 5


def test_screen_rejects_ordinary_strings() -> None:
    ordinary = ("hello world", "OPENAI_API_KEY", "configuration_values", "desk_1", "a.b.c")
    for text in ordinary:
        assert not might_hold_credential(text)


def test_literals_that_cannot_be_judged_from_source_are_evaluated() -> None:
    # An escape can join characters into a credential; a secret-like name flags any random value.
    escaped = cst.parse_expression('"\\x41KIAEDT2SYWB3WKH5DNS"')
    short = cst.parse_expression('"q7Vz2LmX9p+Rt4Kw+B8nY"')
    assert isinstance(escaped, cst.SimpleString) and isinstance(short, cst.SimpleString)
    assert not _cannot_flag(escaped, None)
    assert not _cannot_flag(short, "password")
    assert _cannot_flag(short, "model")


def _simple_strings(module: cst.Module) -> list[cst.SimpleString]:
    found: list[cst.SimpleString] = []

    class _Collect(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            found.append(node)

    module.visit(_Collect())
    return found
