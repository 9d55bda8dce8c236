"""Plain data the analysis engine produces: findings, their ranges and their fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How loudly a finding is shown; users override it per code in config."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


class Applicability(str, Enum):
    """Safe fixes keep behaviour (applied by `check --fix`); unsafe ones change it."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A point in a file: 1-based row and 1-based column (in characters), as ruff reports."""

    row: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range `[start, end)` in a file."""

    start: Location
    end: Location


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text in `span` with `content` (an insertion when the span is empty)."""

    span: Span
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A set of edits that together repair one finding."""

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class RelatedLocation:
    """Another place that explains a finding (e.g. the other duplicate registration)."""

    path: str
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place in one file."""

    code: str
    name: str
    message: str
    severity: Severity
    path: str
    span: Span
    fix: Fix | None = None
    related: tuple[RelatedLocation, ...] = ()
    # The row a noqa comment for this finding goes on (first row of the enclosing statement).
    noqa_row: int = 0
    # The row closing the multi-line string the finding lies in (0: none): rows inside the
    # string cannot hold a comment, so a noqa comment after its closing quotes counts, as in ruff.
    string_end_row: int = 0
    # Secret values this finding is about: every output masks them wherever source is shown.
    # Never printed themselves; kept so formatters can redact source lines.
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # In a Jupyter notebook: the cell (1-based, counting every cell) that `span`'s rows are
    # counted in; 0 for a Python file.
    cell: int = 0
