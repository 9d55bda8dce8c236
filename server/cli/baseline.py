"""A baseline: today's findings recorded in a file, so a run reports only new ones.

"Turn it on in CI today, fix over time": `check --write-baseline FILE` records every finding;
`check --baseline FILE` hides the findings the file records. A finding is recorded by its file
(relative to the baseline's folder), its code and a hash of its source line, with a count: it
survives edits elsewhere in the file (lines moving), but a finding on a line that changed, or
one more of the same on the same line text, is new.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from agentsense.analyzers.model import Finding

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or written (the message says why)."""


class BaselineEntry(BaseModel):
    # defer_build: the schemas are built when a baseline is read, not by every `check`.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    path: str  # relative to the baseline file's folder, with forward slashes
    code: str
    line: str  # sha256 of the finding's first source line, stripped (16 hex digits)
    count: int = 1


class BaselineFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    version: int = BASELINE_VERSION
    findings: list[BaselineEntry]


Key = tuple[str, str, str]


def _line_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _key(finding: Finding, base: Path, line_of: Callable[[Finding], str]) -> Key:
    try:
        relative = Path(os.path.relpath(finding.path, base)).as_posix()
    except ValueError:  # another drive on Windows
        relative = Path(finding.path).as_posix()
    return relative, finding.code, _line_hash(line_of(finding))


def write(path: Path, findings: Sequence[Finding], line_of: Callable[[Finding], str]) -> int:
    """Record `findings` in `path`; returns how many were recorded."""
    counts = Counter(_key(f, path.resolve().parent, line_of) for f in findings)
    entries = [
        BaselineEntry(path=p, code=c, line=h, count=n) for (p, c, h), n in sorted(counts.items())
    ]
    text = BaselineFile(findings=entries).model_dump_json(indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BaselineError(
            f"cannot write the baseline {path}: {error.strerror or error}"
        ) from None
    return sum(counts.values())


@dataclass(frozen=True, slots=True)
class Filtered:
    findings: tuple[Finding, ...]  # the new ones
    hidden: int  # findings the baseline records
    gone: int  # recorded findings that no longer occur (fixed since)


def load(path: Path) -> Counter[Key]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        parsed = BaselineFile.model_validate(data)
    except FileNotFoundError:
        raise BaselineError(
            f"no baseline at {path} (create it with --write-baseline {path})"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"cannot read the baseline {path}: {error}") from None
    except (json.JSONDecodeError, ValidationError) as error:
        reason = str(error).splitlines()[0]
        raise BaselineError(f"{path} is not an agentsense baseline: {reason}") from None
    if parsed.version != BASELINE_VERSION:
        raise BaselineError(f"{path}: baseline version {parsed.version} is not supported")
    return Counter({(e.path, e.code, e.line): e.count for e in parsed.findings})


def apply(path: Path, findings: Sequence[Finding], line_of: Callable[[Finding], str]) -> Filtered:
    """The findings the baseline at `path` does not record."""
    remaining = load(path)
    base = path.resolve().parent
    kept: list[Finding] = []
    hidden = 0
    for finding in findings:
        key = _key(finding, base, line_of)
        if remaining[key] > 0:
            remaining[key] -= 1
            hidden += 1
        else:
            kept.append(finding)
    return Filtered(tuple(kept), hidden, sum(remaining.values()))
