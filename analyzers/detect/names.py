"""Identifier words: `self.toolCall.function_name` -> self, tool, call, function, name."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def identifier_words(name: str) -> list[str]:
    """The lower-case words of one (dotted) name, in order: `isDone` -> is, done."""
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


def words_of(names: Iterable[str]) -> set[str]:
    """The lower-case words of every name."""
    out: set[str] = set()
    for name in names:
        out.update(identifier_words(name))
    return out
