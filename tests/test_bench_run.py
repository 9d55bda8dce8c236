"""bench/run: the shape of its results JSON, and the README summary generated from it.

No timing is asserted (the machine is shared): only that every figure the issue asks for is
there, and that the README's table is the one the script renders from bench/results/latest.json.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_PATH = ROOT / "bench" / "run.py"

TOOL_FIELDS = {
    "key",
    "label",
    "command",
    "status",
    "runs",
    "scaled_by",
    "wall",
    "cpu",
    "lines_per_s",
    "max_rss_mb",
    "tree_rss_mb",
    "ratio_to_floor",
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`bench/run --quick` on three tiny files, no peers, AGT212 at N = 2 and 3."""
    base = tmp_path_factory.mktemp("bench")
    corpus = base / "tiny" / "pkg"
    corpus.mkdir(parents=True)
    (corpus / "__init__.py").write_text("", encoding="utf-8")
    (corpus / "loop.py").write_text("while True:\n    print('x')\n", encoding="utf-8")
    (corpus / "tool.py").write_text(
        "from agentsense.runtime.registry import tool\n\n\n@tool\n"
        'def forecast(city: str) -> str:\n    """The forecast."""\n    return city\n',
        encoding="utf-8",
    )
    output = base / "out.json"
    command = [sys.executable, str(_PATH), "--quick", "--corpus", f"tiny={corpus.parent}"]
    command += ["--peers", "none", "--agt212", "2,3", "--output", str(output)]
    command += ["--cache", str(base / "cache")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return data


def test_quick_run_has_every_figure(quick_results: dict[str, Any]) -> None:
    data = quick_results
    assert data["format"] == 1
    assert data["settings"]["quick"] is True
    assert {"cpus", "python", "libcst", "load_before", "load_after"} <= data["machine"].keys()
    [corpus] = data["corpora"]
    assert (corpus["name"], corpus["files"]) == ("tiny", 3)
    assert corpus["lines"] > 0
    keys = [tool["key"] for tool in corpus["tools"]]
    assert keys[0] == "floor"
    assert {"agentsense_j1", "agentsense_j2", "agentsense_warm"} <= set(keys)
    for tool in corpus["tools"]:
        assert tool.keys() >= TOOL_FIELDS, tool["key"]
        assert tool["status"] == "ok"
        assert len(tool["runs"]) == data["settings"]["repeat"]
        assert tool["max_rss_mb"] > 0
        assert tool["tree_rss_mb"] >= tool["max_rss_mb"]
    floor = corpus["tools"][0]
    assert floor["ratio_to_floor"] == 1.0
    derived = corpus["derived"]
    assert {"j2_speedup", "j2_speedup_cpu_bound", "warm_speedup", "per_line_vs_fixit"} <= set(
        derived
    )
    assert corpus["derived"]["per_line_vs_fixit"] is None  # no peers asked for
    startup = data["startup"]
    assert startup["agentsense_wall"] > 0 and startup["floor_wall"] > 0
    assert [row["n"] for row in data["agt212"]] == [2, 3]
    for row in data["agt212"]:
        assert row["findings"] >= 1  # every file registers `search`: duplicates were found
        assert row["output_bytes"] > 0
    assert data["editor"] is None


def test_summary_renders_from_quick_results(
    bench: ModuleType, quick_results: dict[str, Any]
) -> None:
    table: str = bench.summary_table(quick_results)
    header, rule, row = table.splitlines()[:3]
    assert header.startswith("| corpus | files | lines | floor (s) | agentsense -j 1 |")
    assert rule.count("---") == header.count("|") - 1
    assert row.startswith("| tiny | 3 |")
    assert row.count("|") == header.count("|")
    assert "AGT212, N files registering one name: N=2" in table


def test_readme_summary_is_generated_from_latest_json(bench: ModuleType) -> None:
    latest = json.loads((ROOT / "bench" / "results" / "latest.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert latest["settings"]["quick"] is False
    assert {corpus["name"] for corpus in latest["corpora"]} == {"stdlib", "frameworks"}
    assert bench.readme_block(latest) in readme


def test_agentsense_runs_from_bytecode_even_where_writing_it_is_off(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As from an installed wheel: PYTHONDONTWRITEBYTECODE (some sandboxes set it) would
    make every measured run compile agentsense's modules from source."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = bench.bytecode_env(tmp_path)
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pycache")
    code = "import sys; print(sys.dont_write_bytecode, sys.pycache_prefix)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", str(tmp_path / "pycache")]
