"""Diagnostics are serialised once per finding, kept with it across edits, and published as
pygls would publish them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import default_converter

from agentsense.analyzers.config import Config
from agentsense.analyzers.incremental import IncrementalLinter
from agentsense.server.lsp.analysis import compute_analysis
from agentsense.server.lsp.convert import DiagnosticOptions
from agentsense.server.lsp.state import Analysis

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "agent"
CONFIG = Config.default()


def _analyse(
    linter: IncrementalLinter, path: Path, text: str, previous: Analysis | None = None
) -> Analysis:
    return compute_analysis(
        linter,
        str(path),
        1,
        text,
        CONFIG,
        (),
        "utf-16",
        DiagnosticOptions(related_information=True),
        lambda _: None,
        (),
        previous,
    )


def _as_pygls_sends(diagnostics: tuple[lsp.Diagnostic, ...]) -> Any:
    params = lsp.PublishDiagnosticsParams(uri="file:///a.py", diagnostics=list(diagnostics))
    note = lsp.PublishDiagnosticsNotification(params=params)
    return json.loads(json.dumps(default_converter().unstructure(note)))["params"]["diagnostics"]


def test_the_wire_form_is_what_pygls_sends() -> None:
    analysed = 0
    for path in sorted(EXAMPLES.glob("*.py")):
        result = _analyse(IncrementalLinter(str(path)), path, path.read_text())
        sent = json.loads(json.dumps([item.payload for item in result.wire]))
        assert sent == _as_pygls_sends(result.diagnostics), path
        analysed += len(result.wire)
    assert analysed > 20


def _reused(before: Analysis, after: Analysis) -> tuple[int, int]:
    """How many findings the linter kept from `before`, and of those, how many kept the
    very serialised form they had."""
    wire_of = {id(f): w for f, w in zip(before.findings, before.wire, strict=True)}
    kept = [(f, w) for f, w in zip(after.findings, after.wire, strict=True) if id(f) in wire_of]
    return len(kept), sum(w is wire_of[id(f)] for f, w in kept)


def test_kept_findings_keep_their_wire_form_and_the_result_id_follows_the_content() -> None:
    path = EXAMPLES / "pitfalls.py"
    text = path.read_text()
    linter = IncrementalLinter(str(path))
    first = _analyse(linter, path, text)
    # A line added at the end: the findings above stay the same objects (nothing they point
    # at moved), with their serialised forms.
    text += "\nLIMIT = 3\n"
    second = _analyse(linter, path, text, first)
    assert second.result_id == first.result_id
    kept, same = _reused(first, second)
    assert kept >= len(first.findings) - 3 and same == kept
    # A line added in the last function moves its findings: the id changes, the findings
    # above keep their serialised forms.
    body = '    """Current weather for a city."""\n'
    assert body in text
    third = _analyse(linter, path, text.replace(body, body + "    eval(city)\n"), second)
    assert third.result_id != second.result_id
    kept, same = _reused(second, third)
    assert kept >= len(first.findings) - 3 and same == kept
    # Equal diagnostics from a fresh analysis give the same id.
    assert _analyse(IncrementalLinter(str(path)), path, text).result_id == second.result_id
