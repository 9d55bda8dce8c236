"""agentsense's analysis engine: source text in, findings and fixes out (libcst only).

`lint` is loaded on first use: every `agentsense.analyzers.*` import runs this module, and a
warm `check` (every file in the cache) must not pay for libcst and the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentsense import __version__
from agentsense.analyzers.model import Applicability, Edit, Finding, Fix, Location, Severity, Span

if TYPE_CHECKING:
    from agentsense.analyzers.engine import lint

__all__ = [
    "Applicability",
    "Edit",
    "Finding",
    "Fix",
    "Location",
    "Severity",
    "Span",
    "__version__",
    "lint",
]


def __getattr__(name: str) -> Any:
    if name == "lint":
        from agentsense.analyzers.engine import lint

        return lint
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
