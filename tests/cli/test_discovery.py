"""File discovery: Python files only, exclude / extend-exclude, .gitignore, explicit files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentsense.analyzers.config import ConfigError, ConfigResolver
from agentsense.analyzers.discovery import discover, is_excluded
from tests.cli.conftest import write


def _names(root: Path, *paths: str, resolver: ConfigResolver | None = None) -> list[str]:
    found = discover([Path(p) for p in paths or ["."]], resolver or ConfigResolver())
    return [file.relative_to(root).as_posix() for file in found.files]


def test_python_files_only_sorted_and_absolute(project: Path) -> None:
    for name in ("b.py", "a.pyi", "pkg/c.py", "notes.txt", "script", "pkg/data.json"):
        write(project, name, "x = 1\n")
    found = discover([Path(".")], ConfigResolver())
    assert all(file.is_absolute() for file in found.files)
    assert _names(project) == ["a.pyi", "b.py", "pkg/c.py"]


def test_default_excludes(project: Path) -> None:
    for name in (
        "a.py",
        ".venv/lib/x.py",
        "venv/y.py",
        "build/z.py",
        "node_modules/n.py",
        "src/__pycache__/c.py",
        ".git/hooks/h.py",
        ".agentsense_cache/q.py",
    ):
        write(project, name, "x = 1\n")
    assert _names(project) == ["a.py"]


def test_exclude_and_extend_exclude(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.agentsense]\nextend-exclude = ["gen/", "*_pb2.py"]\n')
    for name in ("a.py", "gen/g.py", "api_pb2.py", "src/x_pb2.py", "build/b.py"):
        write(project, name, "x = 1\n")
    assert _names(project) == ["a.py"]
    write(project, "pyproject.toml", '[tool.agentsense]\nexclude = ["gen"]\n')
    # `exclude` replaces the defaults: build/ is linted again.
    assert _names(project) == ["a.py", "api_pb2.py", "build/b.py", "src/x_pb2.py"]


def test_explicit_files_are_linted_even_when_excluded(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.agentsense]\nextend-exclude = ["gen/"]\n')
    write(project, "gen/g.py", "x = 1\n")
    write(project, ".gitignore", "ignored.py\n")
    write(project, "ignored.py", "x = 1\n")
    write(project, "tool", "x = 1\n")  # no suffix, but named explicitly
    assert _names(project) == []
    assert _names(project, "gen/g.py", "ignored.py", "tool") == ["gen/g.py", "ignored.py", "tool"]


def test_gitignore(project: Path) -> None:
    write(project, ".gitignore", "*.gen.py\nout/\n!keep.gen.py\n")
    write(project, "pkg/.gitignore", "local.py\n")
    for name in (
        "a.py",
        "x.gen.py",
        "keep.gen.py",
        "out/o.py",
        "pkg/local.py",
        "pkg/other.py",
        "local.py",
    ):
        write(project, name, "x = 1\n")
    assert _names(project) == ["a.py", "keep.gen.py", "local.py", "pkg/other.py"]
    # Walking a subfolder still honours the .gitignore above it.
    assert _names(project, "pkg") == ["pkg/other.py"]


def test_nested_gitignore_can_reinclude(project: Path) -> None:
    write(project, ".gitignore", "*.gen.py\n")
    write(project, "sub/.gitignore", "!wanted.gen.py\n")
    write(project, "sub/wanted.gen.py", "x = 1\n")
    write(project, "sub/other.gen.py", "x = 1\n")
    assert _names(project) == ["sub/wanted.gen.py"]


def test_respect_gitignore_false(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.agentsense]\nrespect-gitignore = false\n")
    write(project, ".gitignore", "ignored.py\n")
    write(project, "ignored.py", "x = 1\n")
    assert _names(project) == ["ignored.py"]


def test_gitignore_above_the_project_inside_a_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, ".gitignore", "secret_dir/\n")
    write(repo, "app/secret_dir/s.py", "x = 1\n")
    write(repo, "app/a.py", "x = 1\n")
    found = discover([repo / "app"], ConfigResolver())
    assert [f.name for f in found.files] == ["a.py"]


def test_nested_config_excludes_apply_below_it(project: Path) -> None:
    write(project, "a.py", "x = 1\n")
    write(project, "sub/pyproject.toml", '[tool.agentsense]\nextend-exclude = ["skip.py"]\n')
    write(project, "sub/skip.py", "x = 1\n")
    write(project, "sub/keep.py", "x = 1\n")
    write(project, "skip.py", "x = 1\n")
    assert _names(project) == ["a.py", "skip.py", "sub/keep.py"]


def test_missing_paths_and_duplicates(project: Path) -> None:
    write(project, "a.py", "x = 1\n")
    found = discover([Path("a.py"), Path("."), Path("nope"), Path("./a.py")], ConfigResolver())
    assert [f.name for f in found.files] == ["a.py"]
    assert found.missing == (Path("nope"),)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_directories_are_not_followed(project: Path) -> None:
    write(project, "pkg/a.py", "x = 1\n")
    (project / "pkg" / "loop").symlink_to(project / "pkg", target_is_directory=True)
    assert _names(project) == ["pkg/a.py"]


def test_invalid_nested_config_raises_config_error(project: Path) -> None:
    write(project, "sub/agentsense.toml", "nonsense = 1\n")
    write(project, "sub/a.py", "x = 1\n")
    with pytest.raises(ConfigError, match="nonsense"):
        discover([Path(".")], ConfigResolver())


def test_is_excluded(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.agentsense]\nextend-exclude = ["gen/"]\n')
    config = ConfigResolver().for_path(project)
    assert is_excluded(project / "gen" / "x.py", config, is_dir=False)
    assert is_excluded(project / ".venv", config, is_dir=True)
    assert not is_excluded(project / "src" / "x.py", config, is_dir=False)


def test_gitignored_tree_warns_and_no_respect_gitignore_lints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentsense.server.cli.commands import main

    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("/vendor\n", encoding="utf-8")
    vendored = tmp_path / "vendor" / "lib.py"
    vendored.parent.mkdir()
    vendored.write_text("def f(a=[]):\n    return a\n", encoding="utf-8")
    assert main(["check", str(tmp_path / "vendor"), "--no-cache"]) == 0
    assert "no Python files found" in capsys.readouterr().err
    code = main(["check", str(tmp_path / "vendor"), "--no-cache", "--no-respect-gitignore"])
    assert code == 1
    assert "AGT401" in capsys.readouterr().out


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_links_resolve_on_their_own_while_other_files_share_their_folder(project: Path) -> None:
    """A walk resolves each folder once and the resolver remembers each folder's config: a
    link still resolves to its target, for `exclude` and for the config that governs it."""
    write(project, "pyproject.toml", '[tool.agentsense]\nextend-exclude = ["gen/"]\n')
    write(project, "gen/made.py", "x = 1\n")
    write(project, "other/agentsense.toml", 'ignore = ["AGT401"]\n')
    write(project, "other/real.py", "x = 1\n")
    write(project, "src/plain.py", "x = 1\n")
    (project / "src" / "made_link.py").symlink_to(project / "gen" / "made.py")
    (project / "src" / "other_link.py").symlink_to(project / "other" / "real.py")
    assert _names(project, "src") == ["src/other_link.py", "src/plain.py"]
    resolver = ConfigResolver()
    root_config = resolver.for_path(project / "src" / "plain.py")
    assert root_config.source == project / "pyproject.toml"
    assert resolver.for_path(project / "src" / "other_link.py").source == (
        project / "other" / "agentsense.toml"
    )
    assert resolver.for_path(project / "src" / "plain.py") is root_config
