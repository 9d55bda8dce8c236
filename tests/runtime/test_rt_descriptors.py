"""ValidatedString, TokenLimit and Bounded descriptors: validation, required, __slots__."""

from __future__ import annotations

import pytest

from agentsense.runtime.descriptors import (
    Bounded,
    TokenLimit,
    ValidatedString,
    approximate_token_count,
)


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


class ModelSettings:
    temperature = Bounded(float, 0.0, 2.0)
    max_tokens = Bounded(int, 1, 200_000)
    seed = Bounded(int, required=False)


def test_bounded_number_validates_type_and_range() -> None:
    settings = ModelSettings()
    settings.temperature = 0.7
    settings.temperature = 1  # an int is a valid float
    settings.max_tokens = 4096
    assert (settings.temperature, settings.max_tokens) == (1, 4096)
    with pytest.raises(ValueError, match=r"attribute 'temperature' must be <= 2.0, got 2.5"):
        settings.temperature = 2.5
    with pytest.raises(ValueError, match=r"attribute 'temperature' must be >= 0.0, got -0.1"):
        settings.temperature = -0.1
    with pytest.raises(ValueError, match="must be a number, got nan"):
        settings.temperature = float("nan")
    with pytest.raises(TypeError, match="attribute 'temperature' must be float, got str"):
        settings.temperature = "hot"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="attribute 'max_tokens' must be int, got float"):
        settings.max_tokens = 10.5  # type: ignore[assignment]
    with pytest.raises(TypeError, match="must be int, got bool"):
        settings.max_tokens = True
    assert settings.temperature == 1  # refused values leave the old one in place
    with pytest.raises(ValueError, match="maximum 1 is below minimum 2"):
        Bounded(int, 2, 1)
    with pytest.raises(TypeError, match="kind must be int or float"):
        Bounded(str)  # type: ignore[call-overload]


def test_required_refuses_none_and_optional_fields_read_none_when_unset() -> None:
    settings = ModelSettings()
    with pytest.raises(TypeError, match="attribute 'temperature' is required, got None"):
        settings.temperature = None  # type: ignore[assignment]
    with pytest.raises(AttributeError, match="'temperature' has not been set"):
        _ = settings.temperature
    assert settings.seed is None
    settings.seed = 42
    settings.seed = None
    assert settings.seed is None

    class Note:
        text = ValidatedString(max_length=5, required=False)

    note = Note()
    assert note.text is None
    note.text = "short"
    with pytest.raises(ValueError, match="at most 5"):
        note.text = "too long"


class SlottedPrompt:
    """A slotted class: each descriptor's value lives in the slot it names."""

    __slots__ = ("_budget", "_system", "_user")
    system = ValidatedString(min_length=3)
    user = TokenLimit(max_tokens=5)
    budget = Bounded(int, 1)

    def __init__(self, system: str, user: str, budget: int) -> None:
        self.system = system
        self.user = user
        self.budget = budget


def test_descriptors_work_on_slotted_classes() -> None:
    prompt = SlottedPrompt("You help.", "hi", 3)
    other = SlottedPrompt("Other.", "yo", 4)
    assert not hasattr(prompt, "__dict__")
    assert (prompt.system, prompt.user, prompt.budget) == ("You help.", "hi", 3)
    assert (other.system, other.budget) == ("Other.", 4)  # per instance, not shared
    with pytest.raises(ValueError, match="at least 3"):
        prompt.system = "no"
    del prompt.system
    with pytest.raises(AttributeError, match="'system' has not been set"):
        _ = prompt.system


def test_a_slotted_class_without_the_storage_slot_is_refused_at_class_creation() -> None:
    # Python < 3.12 wraps errors from __set_name__ in a RuntimeError; 3.12+ raises them as is.
    with pytest.raises((TypeError, RuntimeError)) as caught:

        class Broken:
            __slots__ = ("system",)
            prompt = ValidatedString()

    error = caught.value if isinstance(caught.value, TypeError) else caught.value.__cause__
    assert "add '_prompt' to its __slots__" in str(error)
