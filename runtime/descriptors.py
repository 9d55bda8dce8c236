"""Validating data descriptors for agent configuration attributes (prompt text, token budgets,
numeric settings such as temperature).

Each value is validated on every assignment and stored on the instance, never on the
descriptor (one descriptor object serves every instance of the class). The value of attribute
`x` lives in the instance attribute `_x`: in the instance's `__dict__`, or, on a class with
`__slots__` and no `__dict__`, in a slot the class must declare:

    class Config:
        __slots__ = ("_temperature",)
        temperature = Bounded(float, 0.0, 2.0)

`required=True` (the default) refuses None (TypeError), and reading the attribute before it was assigned
raises AttributeError naming it. `required=False` accepts None, which is also what an unset
attribute reads as; the attribute's type then includes None.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Generic, Literal, TypeVar, overload

__all__ = ["Bounded", "TokenLimit", "ValidatedString", "approximate_token_count"]

V = TypeVar("V")  # the attribute's type: str, float, ..., with None when not required
N = TypeVar("N", int, float)
FieldT = TypeVar("FieldT", bound="_Field[Any]")


def approximate_token_count(text: str) -> int:
    """A cheap, conservative token estimate: max(whitespace-separated words, ceil(chars / 4)).

    Four characters per token is the usual rule of thumb for English BPE tokenizers; taking the
    word count too keeps short-word text from being under-counted. No tokenizer is loaded.
    """
    return max(len(text.split()), math.ceil(len(text) / 4))


class _Field(Generic[V]):
    """What every validating descriptor shares: naming, per-instance storage, `required`."""

    def __init__(self, *, required: bool) -> None:
        self.required = required
        self.name = "<unnamed>"
        self.storage = "_unnamed"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.storage = f"_{name}"
        # Checked now, at class creation, rather than at the first assignment.
        if owner.__dictoffset__ == 0 and not hasattr(owner, self.storage):
            raise TypeError(
                f"{owner.__name__}.{name}: the class has __slots__ and no __dict__, so add "
                f"{self.storage!r} to its __slots__ to hold the value"
            )

    @overload
    def __get__(self: FieldT, instance: None, owner: type | None = None) -> FieldT: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> V: ...

    def __get__(self: FieldT, instance: object | None, owner: type | None = None) -> FieldT | V:
        if instance is None:
            return self
        try:
            # object.__getattribute__ reads a slot and a __dict__ entry alike.
            value: V = object.__getattribute__(instance, self.storage)
        except AttributeError:
            if not self.required:
                return None  # type: ignore[return-value]  # V includes None when not required
            raise AttributeError(
                f"{type(instance).__name__!s} attribute {self.name!r} has not been set"
            ) from None
        return value

    def __set__(self, instance: object, value: V) -> None:
        if value is None:
            if self.required:
                raise TypeError(f"attribute {self.name!r} is required, got None")
        else:
            self.validate(value)
        # object.__setattr__ writes a slot or the instance __dict__, and bypasses a class's
        # own __setattr__ (which may refuse assignments to make instances read-only).
        object.__setattr__(instance, self.storage, value)

    def __delete__(self, instance: object) -> None:
        with contextlib.suppress(AttributeError):  # deleting an unset value leaves it unset
            object.__delattr__(instance, self.storage)

    def validate(self, value: Any) -> None:
        """Raise TypeError/ValueError naming the attribute if value (not None) is unacceptable."""


class ValidatedString(_Field[V]):
    """A str attribute whose length is checked on every assignment."""

    @overload
    def __init__(
        self: ValidatedString[str],
        min_length: int = 0,
        max_length: int | None = None,
        *,
        required: Literal[True] = True,
    ) -> None: ...

    @overload
    def __init__(
        self: ValidatedString[str | None],
        min_length: int = 0,
        max_length: int | None = None,
        *,
        required: Literal[False],
    ) -> None: ...

    def __init__(
        self, min_length: int = 0, max_length: int | None = None, *, required: bool = True
    ) -> None:
        if min_length < 0:
            raise ValueError(f"min_length must be >= 0, got {min_length}")
        if max_length is not None and max_length < min_length:
            raise ValueError(f"max_length {max_length} is below min_length {min_length}")
        super().__init__(required=required)
        self.min_length = min_length
        self.max_length = max_length

    def validate(self, value: Any) -> None:
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


class TokenLimit(ValidatedString[V]):
    """A str attribute whose approximate token count (see approximate_token_count) is capped."""

    @overload
    def __init__(
        self: TokenLimit[str], max_tokens: int, *, required: Literal[True] = True
    ) -> None: ...

    @overload
    def __init__(
        self: TokenLimit[str | None], max_tokens: int, *, required: Literal[False]
    ) -> None: ...

    def __init__(self, max_tokens: int, *, required: bool = True) -> None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        # required is a bool here, not the Literal each overload takes: no overload matches.
        super().__init__(required=required)  # type: ignore[misc, call-overload]
        self.max_tokens = max_tokens

    def validate(self, value: Any) -> None:
        super().validate(value)
        tokens = approximate_token_count(value)
        if tokens > self.max_tokens:
            raise ValueError(
                f"attribute {self.name!r} is about {tokens} tokens, over the limit of "
                f"{self.max_tokens}"
            )


class Bounded(_Field[V]):
    """A number of one type within optional inclusive bounds, e.g. a model's sampling
    temperature: `temperature = Bounded(float, 0.0, 2.0)`.

    A float attribute also accepts an int (as Python's typing does); neither accepts a bool,
    though bool is an int subclass, since `True` as a token budget is a bug. NaN is refused:
    it compares false with every bound, so it would slip through any range check.
    """

    @overload
    def __init__(
        self: Bounded[N],
        kind: type[N],
        minimum: N | None = None,
        maximum: N | None = None,
        *,
        required: Literal[True] = True,
    ) -> None: ...

    @overload
    def __init__(
        self: Bounded[N | None],
        kind: type[N],
        minimum: N | None = None,
        maximum: N | None = None,
        *,
        required: Literal[False],
    ) -> None: ...

    def __init__(
        self,
        kind: type[int] | type[float],
        minimum: float | None = None,
        maximum: float | None = None,
        *,
        required: bool = True,
    ) -> None:
        if kind not in (int, float):
            raise TypeError(f"kind must be int or float, got {kind!r}")
        if minimum is not None and maximum is not None and maximum < minimum:
            raise ValueError(f"maximum {maximum} is below minimum {minimum}")
        super().__init__(required=required)
        self.kind = kind
        self.minimum = minimum
        self.maximum = maximum

    def validate(self, value: Any) -> None:
        accepted = (int, float) if self.kind is float else (int,)
        if isinstance(value, bool) or not isinstance(value, accepted):
            raise TypeError(
                f"attribute {self.name!r} must be {self.kind.__name__}, got {type(value).__name__}"
            )
        if math.isnan(value):
            raise ValueError(f"attribute {self.name!r} must be a number, got nan")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"attribute {self.name!r} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"attribute {self.name!r} must be <= {self.maximum}, got {value}")
