"""Jupyter notebooks on the command line: findings by cell, fixes written back into the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.conftest import CliRunner, write

OUTPUT = {"output_type": "stream", "name": "stdout", "text": ["42\n"]}


def notebook(*cells: dict[str, Any]) -> str:
    document = {
        "cells": list(cells),
        "metadata": {"kernelspec": {"display_name": "Python 3", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def code(*lines: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    source = [line + "\n" for line in lines[:-1]] + list(lines[-1:])
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": f"cell-{abs(hash(lines)) % 10_000}",
        "metadata": {"tags": ["agent"]},
        "outputs": outputs or [],
        "source": source,
    }


def markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": "md", "metadata": {}, "source": [text]}


AGENT = notebook(
    markdown("# A notebook agent"),
    code("%load_ext autoreload", "import os", "print(42)", outputs=[OUTPUT]),
    code(
        "!pip install httpx",
        "def remember(item, seen=[]):",
        "    seen.append(item)",
        "    return seen",
    ),
    code("%%bash", "echo 'def not_python(x=[]): pass'"),
    code("def ask(question, history={}):", "    return history"),
)


def test_findings_name_the_cell_and_the_row_in_it(cli: CliRunner, project: Path) -> None:
    write(project, "agent.ipynb", AGENT)
    run = cli("check", "agent.ipynb", "--output-format", "concise", "--no-cache")
    assert run.code == 1, run.err
    lines = [line for line in run.out.splitlines() if "AGT" in line]
    # Cells are counted as ruff counts them: every cell, from 1; the %%bash cell is not Python.
    assert lines == [
        # `remember` mutates its default on purpose: its fix is unsafe (no [*]).
        "agent.ipynb:cell 3:2:25: AGT401 mutable default for `seen` is shared between calls",
        "agent.ipynb:cell 5:1:27: AGT401 [*] mutable default for `history` is shared between calls",
    ]


def test_json_carries_ruffs_cell_field(cli: CliRunner, project: Path) -> None:
    write(project, "agent.ipynb", AGENT)
    write(project, "plain.py", "def f(a=[]):\n    return a\n")
    run = cli("check", ".", "--output-format", "json", "--no-cache")
    found = {
        (Path(f["filename"]).name, f["cell"], f["location"]["row"]) for f in json.loads(run.out)
    }
    assert found == {("agent.ipynb", 3, 2), ("agent.ipynb", 5, 1), ("plain.py", None, 1)}


def test_full_output_shows_the_cells_own_lines(cli: CliRunner, project: Path) -> None:
    write(project, "agent.ipynb", AGENT)
    run = cli("check", "agent.ipynb", "--no-cache")
    assert "2 | def remember(item, seen=[]):" in run.out
    assert "1 | def ask(question, history={}):" in run.out


def test_fixes_are_written_into_the_cells_and_nothing_else_changes(
    cli: CliRunner, project: Path
) -> None:
    path = write(project, "agent.ipynb", AGENT)
    run = cli("check", "agent.ipynb", "--fix", "--unsafe-fixes", "--no-cache")
    assert run.code == 0, run.out + run.err
    assert "Fixed 2 errors." in run.out + run.err
    before, after = json.loads(AGENT), json.loads(path.read_text(encoding="utf-8"))
    assert "".join(after["cells"][2]["source"]) == (
        "!pip install httpx\n"
        "def remember(item, seen=None):\n"
        "    if seen is None:\n"
        "        seen = []\n"
        "    seen.append(item)\n"
        "    return seen"
    )
    # Everything but those two sources is as it was: outputs, metadata, magics, other cells.
    for index in (2, 4):
        before["cells"][index].pop("source")
        after["cells"][index].pop("source")
    assert after == before
    # Same JSON layout (indent 1, key order, trailing newline); a second run changes nothing.
    fixed_text = path.read_text(encoding="utf-8")
    assert fixed_text.startswith('{\n "cells": [\n  {\n   "cell_type": "markdown"')
    again = cli("check", "agent.ipynb", "--fix", "--unsafe-fixes", "--no-cache")
    assert again.code == 0
    assert path.read_text(encoding="utf-8") == fixed_text


def test_diff_is_shown_per_cell(cli: CliRunner, project: Path) -> None:
    write(project, "agent.ipynb", AGENT)
    run = cli("check", "agent.ipynb", "--diff", "--unsafe-fixes", "--no-cache")
    assert run.code == 1
    assert "--- agent.ipynb:cell 3\n+++ agent.ipynb:cell 3\n" in run.out
    assert "+def ask(question, history=None):" in run.out
    assert "agentsense: notebook cell boundary" not in run.out


def test_a_clean_notebook_is_left_byte_for_byte(cli: CliRunner, project: Path) -> None:
    text = notebook(code("x = 1", outputs=[OUTPUT])).replace("\n", "\r\n")
    path = write(project, "clean.ipynb", text)
    run = cli("check", "clean.ipynb", "--fix", "--no-cache")
    assert run.code == 0
    assert path.read_bytes() == text.encode()


def test_a_folder_of_notebooks_is_linted(cli: CliRunner, project: Path) -> None:
    write(project, "notebooks/a.ipynb", AGENT)
    run = cli("check", "notebooks", "--output-format", "concise", "--no-cache")
    assert "everything was excluded" not in run.err
    assert "notebooks/a.ipynb:cell 3:" in run.out


def test_a_syntax_error_is_reported_in_its_cell(cli: CliRunner, project: Path) -> None:
    write(project, "broken.ipynb", notebook(code("x = 1"), code("y = 2", "def broken(:")))
    run = cli("check", "broken.ipynb", "--output-format", "concise", "--no-cache")
    assert run.code == 1
    assert "broken.ipynb:cell 2:2:" in run.out and "AGT001" in run.out


def test_a_file_that_is_not_a_notebook_is_skipped_with_the_reason(
    cli: CliRunner, project: Path
) -> None:
    write(project, "bad.ipynb", "{not json")
    run = cli("check", "bad.ipynb", "--no-cache")
    assert run.code == 2
    assert "skipping bad.ipynb: not a notebook: invalid JSON" in run.err


def test_the_workspace_index_leaves_notebooks_to_the_open_document(project: Path) -> None:
    from agentsense.server.lsp.workspace_index import workspace_files

    write(project, "agent.ipynb", AGENT)
    write(project, "tools.py", "x = 1\n")
    assert [Path(p).name for p in workspace_files(project)] == ["tools.py"]
