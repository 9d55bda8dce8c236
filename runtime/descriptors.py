"""Validating data descriptors for agent configuration attributes (prompt text, token budgets)."""

from __future__ import annotations

import math
from typing import Any, TypeVar, overload

__all__ = ["TokenLimit", "ValidatedString", "approximate_token_count"]

D = TypeVar("D", bound="ValidatedString")


def approximate_token_count(text: str) -> int:
    """A cheap, conservative token estimate: max(whitespace-separated words, ceil(chars / 4)).

    Four characters per token is the usual rule of thumb for English BPE tokenizers; taking the
    word count too keeps short-word text from being under-counted. No tokenizer is loaded.
    """
    return max(len(text.split()), math.ceil(len(text) / 4))


class ValidatedString:
    """A str attribute whose length is checked on every assignment, stored per instance."""

    def __init__(self, min_length: int = 0, max_length: int | None = None) -> None:
        if min_length < 0:
            raise ValueError(f"min_length must be >= 0, got {min_length}")
        if max_length is not None and max_length < min_length:
            raise ValueError(f"max_length {max_length} is below min_length {min_length}")
        self.min_length = min_length
        self.max_length = max_length
        self.name = "<unnamed>"
        self._slot = "_validated_unnamed"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self._slot = f"_{type(self).__name__}_{name}"

    @overload
    def __get__(self: D, instance: None, owner: type | None = None) -> D: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> str: ...

    def __get__(self: D, instance: object | None, owner: type | None = None) -> D | str:
        if instance is None:
            return self
        try:
            value: str = instance.__dict__[self._slot]
        except KeyError:
            raise AttributeError(
                f"{type(instance).__name__!s} attribute {self.name!r} has not been set"
            ) from None
        return value

    def __set__(self, instance: object, value: Any) -> None:
        self.validate(value)
        # Stored in the instance's own __dict__, so two instances never share a value.
        instance.__dict__[self._slot] = value

    def __delete__(self, instance: object) -> None:
        instance.__dict__.pop(self._slot, None)

    def validate(self, value: Any) -> None:
        """Raise TypeError/ValueError naming the attribute if value is not acceptable."""
        if not isinstance(value, str):
            raise TypeError(f"attribute {self.name!r} must be a str, got {type(value).__name__}")
        if len(value) < self.min_length:
            raise ValueError(
                f"attribute {self.name!r} must be at least {self.min_length} characters, "
                f"got {len(value)}"
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(
                f"attribute {self.name!r} must be at most {self.max_length} characters, "
                f"got {len(value)}"
            )


class TokenLimit(ValidatedString):
    """A str attribute whose approximate token count (see approximate_token_count) is capped."""

    def __init__(self, max_tokens: int) -> None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        super().__init__()
        self.max_tokens = max_tokens

    def validate(self, value: Any) -> None:
        super().validate(value)
        tokens = approximate_token_count(value)
        if tokens > self.max_tokens:
            raise ValueError(
                f"attribute {self.name!r} is about {tokens} tokens, over the limit of "
                f"{self.max_tokens}"
            )
