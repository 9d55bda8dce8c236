"""ValidatedString and TokenLimit descriptors."""

from __future__ import annotations

import pytest

from agentsense.runtime.descriptors import TokenLimit, ValidatedString, approximate_token_count


class Persona:
    title = ValidatedString(min_length=3, max_length=10)
    prompt = TokenLimit(max_tokens=5)


def test_values_are_per_instance() -> None:
    first, second = Persona(), Persona()
    first.title = "first"
    second.title = "second"
    assert (first.title, second.title) == ("first", "second")
    assert isinstance(Persona.title, ValidatedString)


def test_unset_value_raises_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="'title' has not been set"):
        _ = Persona().title


def test_type_and_length_errors_name_the_attribute() -> None:
    persona = Persona()
    with pytest.raises(TypeError, match="attribute 'title' must be a str, got int"):
        persona.title = 5  # type: ignore[assignment]
    with pytest.raises(ValueError, match="attribute 'title' must be at least 3 characters, got 2"):
        persona.title = "ab"
    with pytest.raises(ValueError, match="attribute 'title' must be at most 10 characters, got 11"):
        persona.title = "a" * 11
    persona.title = "okay"
    with pytest.raises(ValueError):
        persona.title = "x"
    assert persona.title == "okay"  # a refused value leaves the old one in place


def test_token_limit() -> None:
    persona = Persona()
    persona.prompt = "one two three"
    with pytest.raises(
        ValueError, match="attribute 'prompt' is about 6 tokens, over the limit of 5"
    ):
        persona.prompt = "a b c d e f"
    with pytest.raises(ValueError, match="attribute 'prompt'"):
        persona.prompt = "x" * 40  # one word, but ~10 tokens by characters
    with pytest.raises(TypeError):
        persona.prompt = None  # type: ignore[assignment]


def test_approximate_token_count_is_conservative() -> None:
    assert approximate_token_count("") == 0
    assert approximate_token_count("a b c d e") == 5
    assert approximate_token_count("abcdefgh") == 2


def test_descriptor_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        ValidatedString(min_length=5, max_length=2)
    with pytest.raises(ValueError):
        TokenLimit(0)
