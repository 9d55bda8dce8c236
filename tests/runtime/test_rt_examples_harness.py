"""`python -m agentsense.runtime.harness` runs a tool from the bundled examples, as "Run tool" does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from agentsense.runtime.harness import harness_command

TOOLS = Path(__file__).resolve().parents[2] / "examples" / "clean" / "tools.py"


def run(tool: str, arguments: dict[str, object]) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        harness_command(str(TOOLS), tool, arguments),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=TOOLS.parent,
    )
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def test_example_tool_runs_and_prints_its_result() -> None:
    code, result = run("forecast", {"city": "Paris", "days": 2})
    assert code == 0
    assert result["ok"] is True and result["value"] == "Paris: sunny for 2 day(s)"


def test_bad_argument_is_a_structured_validation_error() -> None:
    code, result = run("forecast", {"city": 3})
    assert code == 1 and result["ok"] is False
    error = result["error"]
    assert isinstance(error, dict) and error["kind"] == "validation"
    assert error["details"][0]["kind"] == "wrong_type"
