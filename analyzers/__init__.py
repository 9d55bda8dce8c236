"""agentsense's analysis engine: source text in, findings and fixes out (libcst only)."""

from agentsense import __version__
from agentsense.analyzers.engine import lint
from agentsense.analyzers.model import Applicability, Edit, Finding, Fix, Location, Severity, Span

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
