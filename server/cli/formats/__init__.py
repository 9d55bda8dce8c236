"""Output formats for `agentsense check`: the report they render and the registry by name."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentsense.analyzers.detect.secrets import redact
from agentsense.analyzers.model import Applicability, Finding, Severity

if TYPE_CHECKING:
    # Only the human formats style text: the machine formats never import rich.
    from rich.text import Text

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a format may show about one `check` run."""

    findings: tuple[Finding, ...]  # sorted by path, then position
    cwd: Path
    # Source text of the files that have findings, by `source_key(path, cell)` (for formats
    # that show source lines; every shown line is redacted with that file's secrets).
    sources: Mapping[str, str] = field(default_factory=dict)
    unsafe_fixes: bool = False
    show_fixes: bool = False
    fix_mode: bool = False  # --fix was given: `fixed` counts the fixes applied
    fixed: int = 0
    # path -> code -> how many findings of that code --fix removed (for --show-fixes)
    fixed_by_file: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    files_checked: int = 0
    complete: bool = True  # False when a file was skipped or hit an internal error
    quiet: bool = False  # --quiet: the findings only, no summary


Renderer = Callable[[Report], "str | Text"]


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """One `--output-format` choice."""

    name: str
    render: Renderer
    human: bool  # prose for people (summary lines, colour) rather than data for machines


def source_key(path: str, cell: int = 0) -> str:
    """The key of `Report.sources` for a file, or for one cell of a notebook."""
    return f"{path}\0cell {cell}" if cell else path


def position(finding: Finding) -> str:
    """`row:col`, or `cell N:row:col` in a notebook (as ruff prints)."""
    cell = f"cell {finding.cell}:" if finding.cell else ""
    return f"{cell}{finding.span.start.row}:{finding.span.start.column}"


def display_path(path: str, cwd: Path) -> str:
    """`path` relative to the working directory when it lies below it, else as is."""
    if path == "-" or not os.path.isabs(path):
        return path
    try:
        return Path(path).relative_to(cwd).as_posix()
    except ValueError:
        return path


def absolute_path(path: str, cwd: Path) -> str:
    if path == "-" or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(cwd, path))


def is_applicable(finding: Finding, unsafe_fixes: bool) -> bool:
    """Whether `--fix` (with `unsafe_fixes` as given) would apply this finding's fix."""
    fix = finding.fix
    return fix is not None and (unsafe_fixes or fix.applicability is Applicability.SAFE)


def source_lines(text: str) -> list[str]:
    """Lines as the engine numbers rows (`\\r\\n`, `\\r` and `\\n` end a line)."""
    return _NEWLINE.split(text)


def secrets_by_path(findings: Iterable[Finding]) -> dict[str, tuple[str, ...]]:
    """Every secret any finding of a file is about, so no shown line of that file leaks one."""
    found: dict[str, dict[str, None]] = {}
    for finding in findings:
        if finding.secrets:
            found.setdefault(finding.path, {}).update(dict.fromkeys(finding.secrets))
    return {path: tuple(values) for path, values in found.items()}


def redact_line(line: str, secrets: Iterable[str]) -> str:
    """A source line fit to show: secrets and provider-format credentials masked."""
    return redact(line, secrets)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold blue",
    Severity.HINT: "bold cyan",
}


ALL_PASSED = "All checks passed!\n"
ALL_PASSED_STYLE = "bold green"
# Files were skipped or failed (named above): that is not a pass.
NOT_ALL_CHECKED = "No findings in the files checked, but not every file was checked.\n"


def clean_summary(report: Report) -> str | None:
    """The summary of a run that found nothing and fixed nothing (None for any other run),
    unstyled: written so where no colour applies, the clean run pre-commit usually makes
    needs no rich. `summary` gives the same text, styled."""
    if report.findings or (report.fix_mode and report.fixed):
        return None
    if report.quiet:
        return ""
    return ALL_PASSED if report.complete else NOT_ALL_CHECKED


def summary(report: Report) -> Text:
    """The closing lines of the human formats: counts and what --fix would do."""
    from rich.text import Text

    text = Text()
    clean = clean_summary(report)
    if clean is not None:
        text.append(clean, style=ALL_PASSED_STYLE if clean == ALL_PASSED else None)
        return text
    if report.quiet:
        return text
    findings = report.findings
    if report.fix_mode and report.fixed:
        text.append(f"Fixed {plural(report.fixed, 'error')}.\n")
        if report.show_fixes:
            for path, codes in sorted(report.fixed_by_file.items()):
                text.append(f"- {display_path(path, report.cwd)}:\n")
                for code, count in sorted(codes.items()):
                    text.append(f"    {count} x {code}\n")
    if not findings and not report.complete:
        text.append(NOT_ALL_CHECKED)
        return text
    if not findings:
        text.append(ALL_PASSED, style=ALL_PASSED_STYLE)
        return text
    text.append(f"Found {plural(len(findings), 'error')}.\n")
    safe = sum(1 for f in findings if is_applicable(f, False))
    unsafe = sum(1 for f in findings if f.fix is not None and not is_applicable(f, False))
    fixable = safe + unsafe if report.unsafe_fixes else safe
    if fixable:
        text.append("[*]", style="cyan")
        text.append(f" {fixable} fixable with --fix")
        text.append(" --unsafe-fixes.\n" if report.unsafe_fixes and unsafe else ".\n")
    if unsafe and not report.unsafe_fixes:
        text.append(f"({unsafe} more fixable with --fix --unsafe-fixes.)\n")
    return text


# name -> (module in this package, human): a run imports only the format it writes.
FORMATS: dict[str, tuple[str, bool]] = {
    "full": ("full", True),
    "concise": ("concise", True),
    "json": ("json_array", False),
    "json-lines": ("json_lines", False),
    "sarif": ("sarif", False),
    "github": ("github", False),
    "junit": ("junit", False),
}


def is_human(name: str) -> bool:
    """Whether the format called `name` is prose for people (without importing it)."""
    return FORMATS[name][1]


def get_format(name: str) -> OutputFormat:
    """The format called `name` (KeyError when there is none)."""
    module, human = FORMATS[name]
    render: Renderer = importlib.import_module(f"{__name__}.{module}").render
    return OutputFormat(name, render, human)
