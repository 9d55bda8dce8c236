"""Writing fixes safely and reading trees that fight back (full disk, edits, links, rights)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import BinaryIO

import pytest

from agentsense.analyzers import config as analyzers_config
from agentsense.analyzers import discovery
from agentsense.analyzers.engine import lint
from agentsense.server.cli import check as server_check
from tests.cli.conftest import CLEAN, MUTABLE, MUTABLE_FIXED, CliRunner, write


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_full_disk_leaves_the_original_intact(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the file was opened with truncate and written in place; on a full disk it was
    # left cut off (and no longer compiling).
    original = (MUTABLE + "x = 1\n" * 2000).encode()
    target = write(project, "agent.py", original)

    def full_disk(handle: BinaryIO, data: bytes) -> None:
        handle.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(server_check, "_write_all", full_disk)
    result = cli("check", "--no-cache", "--fix", "agent.py")
    assert target.read_bytes() == original
    assert _leftovers(project) == []
    assert "fixes not written: cannot write them (No space left on device)" in result.err
    assert "the file is unchanged" in result.err
    assert result.code == 1 and "AGT401" in result.out  # the findings still on disk


def test_a_crash_before_the_swap_leaves_the_original_intact(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write(project, "agent.py", MUTABLE)

    def killed(source: str, destination: str) -> None:
        raise OSError(errno.EIO, "killed before the swap")

    monkeypatch.setattr(server_check.os, "replace", killed)
    cli("check", "--no-cache", "--fix", "agent.py")
    assert target.read_text() == MUTABLE
    assert _leftovers(project) == []


def test_fix_keeps_the_file_mode_and_replaces_atomically(cli: CliRunner, project: Path) -> None:
    target = write(project, "agent.py", MUTABLE)
    target.chmod(0o751)
    inode = target.stat().st_ino
    assert cli("check", "--no-cache", "--fix", "agent.py").code == 0
    assert target.read_text() == MUTABLE_FIXED
    assert target.stat().st_mode & 0o777 == 0o751
    assert target.stat().st_ino != inode  # a new file took its place in one rename
    assert _leftovers(project) == []


def test_a_file_edited_during_fix_is_not_overwritten(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write(project, "agent.py", MUTABLE)
    edited = MUTABLE + "# saved by the editor meanwhile\n"
    check_text = server_check.check_text

    def then_edit(*args: object, **kwargs: object) -> server_check.FileOutcome:
        outcome = check_text(*args, **kwargs)  # type: ignore[arg-type]
        target.write_text(edited)
        return outcome

    monkeypatch.setattr(server_check, "check_text", then_edit)
    result = cli("check", "--no-cache", "--fix", "agent.py")
    assert target.read_text() == edited
    assert "fixes not written: it changed on disk while it was checked" in result.err
    assert result.code == 1


def test_fix_does_not_write_through_a_link_out_of_the_tree(
    cli: CliRunner, project: Path, tmp_path: Path
) -> None:
    outside = write(tmp_path, "elsewhere/shared.py", MUTABLE)
    (project / "linked.py").symlink_to(outside)
    inside = write(project, "real/own.py", MUTABLE)
    (project / "alias.py").symlink_to(inside)
    result = cli("check", "--no-cache", "--fix", ".")
    assert outside.read_text() == MUTABLE
    assert f"fixes not written: it is a link to {outside}, outside the checked paths" in result.err
    assert inside.read_text() == MUTABLE_FIXED  # a link within the tree is fine
    assert "changed on disk" not in result.err  # the same file twice: fixed once, no conflict
    assert (project / "linked.py").is_symlink() and (project / "alias.py").is_symlink()
    # Named on the command line, the link's target is what the user asked to fix.
    assert cli("check", "--no-cache", "--fix", "linked.py").code == 0
    assert outside.read_text() == MUTABLE_FIXED


def test_an_unreadable_folder_is_skipped_with_a_message(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "agent.py", MUTABLE)
    locked = project / "locked"
    write(project, "locked/hidden.py", MUTABLE)
    # Tests run as root, where chmod 000 does not lock anything: refuse as the OS would.
    scandir, is_file = os.scandir, Path.is_file

    def refusing_scandir(path: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return scandir(path)  # type: ignore[call-overload]

    def refusing_is_file(self: Path) -> bool:
        if self.parent == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return is_file(self)

    monkeypatch.setattr(discovery.os, "scandir", refusing_scandir)
    monkeypatch.setattr(analyzers_config.Path, "is_file", refusing_is_file)
    result = cli("check", "--no-cache", "--output-format", "concise", ".")
    assert "skipping locked: cannot list the folder: Permission denied" in result.err
    assert "Traceback" not in result.err
    assert "agent.py:1:9: AGT401" in result.out and "hidden.py" not in result.out
    assert result.code == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_a_folder_without_rights_is_skipped(cli: CliRunner, project: Path) -> None:
    write(project, "locked/hidden.py", MUTABLE)
    write(project, "clean.py", CLEAN)
    (project / "locked").chmod(0)
    try:
        result = cli("check", "--no-cache", ".")
    finally:
        (project / "locked").chmod(0o755)
    assert result.code == 2 and "cannot list the folder" in result.err
    assert "All checks passed!" not in result.out


def test_config_file_that_is_not_utf8_is_an_error(cli: CliRunner, project: Path) -> None:
    # Silently skipped before: its `ignore` list was dropped and AGT401 came back.
    write(project, "pyproject.toml", b'[tool.agentsense]\nignore = ["AGT401"]\n# caf\xe9\n')
    write(project, "agent.py", MUTABLE)
    result = cli("check", "--no-cache", "agent.py")
    assert result.code == 2
    assert "pyproject.toml: not UTF-8 (byte 0xe9 at offset" in result.err
    # A pyproject.toml that does not mention agentsense is not ours to judge.
    write(project, "pyproject.toml", b"[tool.black]\n# caf\xe9\n")
    assert cli("check", "--no-cache", "agent.py").code == 1
    (project / "pyproject.toml").unlink()
    write(project, "agentsense.toml", b'ignore = ["AGT401"]\n# caf\xe9\n')
    result = cli("check", "--no-cache", "agent.py")
    assert result.code == 2 and "agentsense.toml: not UTF-8" in result.err


def test_valid_code_the_parser_cannot_read_is_not_called_a_syntax_error() -> None:
    # CPython accepts a parenthesised annotated target (stdlib test_grammar.py:409); libcst
    # does not.
    source = "(no_such_global): int\n"
    compile(source, "t.py", "exec")
    [finding] = lint(source, "t.py")
    assert finding.code == "AGT001"
    assert finding.message == "not analysed: the parser does not support this construct"
    [real] = lint("def broken(:\n    pass\n", "t.py")
    assert real.message.startswith("syntax error")
