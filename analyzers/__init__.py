"""agentsense's analysis engine: source text in, findings and fixes out (libcst only)."""

from analyzers.engine import lint
from analyzers.model import Applicability, Edit, Finding, Fix, Location, Severity, Span

__version__ = "0.1.0"

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
