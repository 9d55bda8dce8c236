"""Configuration: discovery, selection semantics, per-file ignores and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsense.analyzers.config import (
    CliOverrides,
    ConfigError,
    ConfigResolver,
    _select,
    load_file,
)
from agentsense.analyzers.engine import lint

MUTABLE = "def f(a=[]):\n    return a\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_more_specific_selector_wins() -> None:
    codes = ["AGT101", "AGT102", "AGT201"]
    assert _select(codes, ["ALL"], ["AGT1"]) == {"AGT201"}
    assert _select(codes, ["AGT102"], ["AGT1"]) == {"AGT102"}
    assert _select(codes, ["AGT1"], ["AGT102"]) == {"AGT101"}


def test_discovery_walks_up_and_prefers_agentsense_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.agentsense]\nignore = ['AGT401']\n")
    nested = write(tmp_path / "pkg" / "sub" / "mod.py", MUTABLE)
    config = ConfigResolver().for_path(nested)
    assert config.source == tmp_path / "pyproject.toml"
    assert lint(MUTABLE, str(nested), config) == []
    write(tmp_path / "pkg" / "agentsense.toml", "select = ['AGT401']\n")
    config = ConfigResolver().for_path(nested)
    assert config.source == tmp_path / "pkg" / "agentsense.toml"
    assert [f.code for f in lint(MUTABLE, str(nested), config)] == ["AGT401"]


def test_pyproject_without_our_table_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "agentsense.toml", "ignore = ['AGT401']\n")
    write(tmp_path / "app" / "pyproject.toml", "[tool.black]\nline-length = 80\n")
    config = ConfigResolver().for_path(write(tmp_path / "app" / "x.py", MUTABLE))
    assert config.source == tmp_path / "agentsense.toml"


def test_per_file_ignores_are_gitignore_patterns(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        "[tool.agentsense.per-file-ignores]\n'tests/**' = ['AGT4']\n'legacy.py' = ['AGT401']\n",
    )
    resolver = ConfigResolver()
    for name, expected in [("tests/a/t.py", []), ("legacy.py", []), ("app.py", ["AGT401"])]:
        path = write(tmp_path / name, MUTABLE)
        config = resolver.for_path(path)
        assert [f.code for f in lint(MUTABLE, str(path), config)] == expected, name


def test_severity_override_and_rule_names(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        "[tool.agentsense]\nselect = ['mutable-default-argument']\n"
        "[tool.agentsense.severity]\nAGT401 = 'error'\n",
    )
    path = write(tmp_path / "x.py", MUTABLE)
    (finding,) = lint(MUTABLE, str(path), ConfigResolver().for_path(path))
    assert finding.severity.value == "error"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[tool.agentsense]\nselcet = ['AGT4']\n", "tool.agentsense.selcet: unknown key"),
        (
            "[tool.agentsense]\nselect = ['AGT999']\n",
            "tool.agentsense.select: unknown rule code or prefix 'AGT999'",
        ),
        ("[tool.agentsense]\nselect = 'AGT4'\n", "tool.agentsense.select"),
        ("[tool.agentsense.severity]\nAGT401 = 'loud'\n", "tool.agentsense.severity.AGT401"),
        ("[tool.agentsense.rule-options.AGT401]\nx = 1\n", "rule-options.AGT401.x: unknown key"),
        ("[tool.agentsense\n", "invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_file(path)
    message = str(caught.value)
    assert str(path) in message and expected in message


def test_cli_overrides_win_and_validate() -> None:
    overrides = CliOverrides.build(select=["AGT401"], ignore=[])
    assert overrides.select == ("AGT401",)
    with pytest.raises(ConfigError, match="AGT999"):
        CliOverrides.build(select=["AGT999"])


def test_broken_pyproject_that_configures_us_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.agentsense\nselect = ['AGT4']\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        ConfigResolver().for_path(write(tmp_path / "x.py", MUTABLE))


def test_broken_pyproject_of_another_tool_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.black\n")
    config = ConfigResolver().for_path(write(tmp_path / "x.py", MUTABLE))
    assert config.source is None
