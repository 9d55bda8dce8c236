"""Project-wide analysis: per-file results plus the findings that need every file (AGT212)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analyzers.config import Config
from analyzers.engine import lint
from analyzers.model import Finding, Span


@dataclass(frozen=True, slots=True)
class RegistrationSummary:
    """What the project index keeps of one registration (enough for cross-file rules)."""

    name: str  # the tool / agent name it registers under
    kind: str  # "tool" or "agent"
    registry: str  # which registry it targets (duplicates only clash within one)
    path: str
    span: Span
    suppressed_codes: tuple[str, ...] = ()  # codes a `# noqa` on its row silences


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything one file contributes to a run."""

    path: str
    findings: tuple[Finding, ...]
    registrations: tuple[RegistrationSummary, ...] = ()


def analyze(source: str, path: str, config: Config) -> FileResult:
    """Lint one file and summarise its registrations for the project index."""
    return FileResult(path, tuple(lint(source, path, config)))


def cross_file_findings(
    results: Sequence[FileResult], config_for: Callable[[str], Config]
) -> list[Finding]:
    """Findings that need the whole project (duplicate tool names across files)."""
    return []
