"""Parity: each framework check's verdict equals what importing the example with the framework does.

The linter reads each example (it never imports it); a child process per interpreter imports
every example of its frameworks, each from its own file. A flagged example must give exactly one
finding of its code whose message quotes the framework's error, and importing it must raise
that error; a clean one gives no registration finding and imports.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.frameworks.cases import CASES, Case
from tests.frameworks.interpreters import PRELUDE, missing, python_for, run_driver
from tests.helpers import lint_with

REGISTRATION_CODES = ("AGT201", "AGT210", "AGT211", "AGT212", "AGT213", "AGT214", "AGT215")

# Imports each file given on the command line as its own module and prints, per file, the
# exception's class name and text (or null).
_DRIVER = """
import importlib.util, json, sys, warnings
warnings.simplefilter("ignore")
out = {}
for index, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"parity_example_{index}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        out[path] = None
    except BaseException as error:
        out[path] = [type(error).__name__, str(error)]
print(json.dumps(out))
"""


def _installed(framework: str) -> bool:
    return python_for(framework) is not None


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What importing each example did, by case id (frameworks missing here are left out).

    One driver run per interpreter and prelude, in the session's child for it (a framework in
    its own venv is imported once for both parity modules)."""
    root = tmp_path_factory.mktemp("parity")
    groups: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for case in CASES:
        python = python_for(case.framework)
        if python is None:
            continue
        path = root / f"{case.id.replace('-', '_')}.py"
        path.write_text(case.text, encoding="utf-8")
        groups[python, PRELUDE.get(case.framework, "")][case.id] = str(path)
    results: dict[str, Any] = {}
    for (python, prelude), paths in groups.items():
        outcome = run_driver(python, prelude, _DRIVER, list(paths.values()))
        results.update({case_id: outcome[path] for case_id, path in paths.items()})
    return results


def _findings(case: Case) -> list[Any]:
    return [f for f in lint_with(case.text, REGISTRATION_CODES) if f.code in REGISTRATION_CODES]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_linter_verdict(case: Case) -> None:
    findings = _findings(case)
    if case.code is None:
        assert findings == [], [f.message for f in findings]
        return
    assert [f.code for f in findings] == [case.code], [f.message for f in findings]
    assert case.says in findings[0].message
    assert f"raises {case.error}" in findings[0].message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_framework_verdict(case: Case, imported: dict[str, Any]) -> None:
    if not _installed(case.framework):
        missing(case.framework)
    outcome = imported[case.id]
    if case.code is None:
        assert outcome is None, outcome
        return
    assert outcome is not None, f"{case.id}: the framework accepted the flagged example"
    error, text = outcome
    assert error == case.error, text
    assert case.says in text


def test_every_check_has_a_flagged_and_a_clean_example() -> None:
    frameworks_flagged = {c.framework for c in CASES if c.code is not None}
    frameworks_clean = {c.framework for c in CASES if c.code is None}
    assert frameworks_flagged <= frameworks_clean
    assert len({c.id for c in CASES}) == len(CASES)
    assert Path(__file__).with_name("cases.py").exists()


@pytest.mark.parametrize("case", [c for c in CASES if c.id.startswith("mcp2-")], ids=lambda c: c.id)
def test_mcp1_fastmcp_gives_the_same_verdict(case: Case) -> None:
    # mcp 1.x (verified by importing with mcp 1.30.0) raises the same errors for FastMCP; the
    # `frameworks` extra installs 2.x, where `mcp.server.fastmcp` is gone, so this is static.
    text = case.text.replace(
        "from mcp.server.mcpserver import Context, MCPServer",
        "from mcp.server.fastmcp import Context, FastMCP",
    ).replace(
        "from mcp.server.mcpserver import MCPServer", "from mcp.server.fastmcp import FastMCP"
    )
    text = text.replace("MCPServer(", "FastMCP(")
    assert "mcpserver" not in text
    v1 = [(f.code, f.message) for f in lint_with(text, REGISTRATION_CODES)]
    v2 = [(f.code, f.message) for f in lint_with(case.text, REGISTRATION_CODES)]
    assert v1 == v2
