"""The repository's GitHub Action (action.yml): its shell steps run here as Actions runs them.

GitHub's own steps (setup-python, upload-sarif) cannot run here; the steps that are ours are
executed with bash in a project, with `${{ inputs.* }}` replaced as the runner would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def _inputs(**given: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update(given)
    return values


def _substitute(text: str, inputs: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: inputs[m.group(1)], text)


def run_step(name: str, project: Path, **given: str) -> subprocess.CompletedProcess[str]:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    inputs = _inputs(**given)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.update({key: _substitute(str(value), inputs) for key, value in step.get("env", {}).items()})
    return subprocess.run(
        ["bash", "-e", "-c", _substitute(step["run"], inputs)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_action_is_a_composite_whose_expressions_name_its_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    text = (REPO / "action.yml").read_text()
    assert set(EXPRESSION.findall(text)) <= set(ACTION["inputs"])
    for step in ACTION["runs"]["steps"]:
        assert ("uses" in step) != ("run" in step)
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env, never spliced into the script's text.
            assert not EXPRESSION.search(step["run"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "agent.py").write_text("def f(a=[]):\n    return a\n")
    return tmp_path


def test_sarif_is_written_and_findings_do_not_stop_the_upload(project: Path) -> None:
    run = run_step("Write the SARIF report", project, args="--no-cache")
    assert run.returncode == 0, run.stderr
    sarif = json.loads((project / "agentsense.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["AGT401"]


def test_annotations_and_the_step_status(project: Path) -> None:
    run = run_step("Annotate the changes", project, args="--no-cache")
    assert run.returncode == 1
    assert run.stdout.startswith("::warning file=agent.py,line=1,col=9,")
    relaxed = run_step(
        "Annotate the changes", project, args="--no-cache", **{"fail-on-findings": "false"}
    )
    assert relaxed.returncode == 0


def test_a_broken_config_fails_both_steps(project: Path) -> None:
    (project / "agentsense.toml").write_text("bogus = 1\n")
    for step in ("Write the SARIF report", "Annotate the changes"):
        run = run_step(step, project, **{"fail-on-findings": "false"})
        assert run.returncode == 2, (step, run.stderr)
        assert "bogus: unknown key" in run.stderr


def test_the_readme_workflow_installs_and_grants_code_scanning() -> None:
    readme = (REPO / "README.md").read_text()
    (workflow,) = [
        block for block in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "jobs:" in block
    ]
    parsed = yaml.safe_load(workflow)
    assert parsed["permissions"]["security-events"] == "write"
    steps = next(iter(parsed["jobs"].values()))["steps"]
    assert any("actions/checkout" in str(step.get("uses", "")) for step in steps)
    assert any("agentsense" in str(step.get("uses", "")) for step in steps)
