"""How `check -j N` splits the files into chunks: largest first, each smaller than the last."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentsense.analyzers.config import CliOverrides, ConfigResolver
from agentsense.server.cli import check
from agentsense.server.cli.check import (
    MIN_CHUNK_BYTES,
    FileJob,
    RunSettings,
    _chunks,
    run_jobs,
)


def _jobs(tmp_path: Path, sizes: dict[str, int]) -> list[FileJob]:
    resolver = ConfigResolver(None, CliOverrides())
    jobs = []
    for name, size in sorted(sizes.items()):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n" * size, encoding="utf-8")
        jobs.append(FileJob(str(path), resolver.for_path(path)))
    return jobs


def test_big_files_go_first_and_the_last_chunks_are_small(tmp_path: Path) -> None:
    # In path order the big files sit together at the end (one folder of big modules): the
    # chunk holding them would be handed out last and keep one worker busy alone.
    sizes = {f"a/small_{i:03d}.py": 10 for i in range(120)}
    sizes |= {f"z/big_{i}.py": 2_000 for i in range(4)}
    jobs = _jobs(tmp_path, sizes)
    chunks = _chunks(jobs, 2)
    paths = [job.path for chunk in chunks for job in chunk]
    assert sorted(paths) == sorted(job.path for job in jobs)  # each file exactly once
    assert all("/z/big_" in path for path in paths[:4])
    total = sum(Path(job.path).stat().st_size for job in jobs)
    last = sum(Path(job.path).stat().st_size for job in chunks[-1])
    assert last <= total / 16


def test_chunks_shrink_so_the_workers_finish_together(tmp_path: Path) -> None:
    # 600 files of ~2.4 kB: equal chunks made the last one a sixteenth of the run (90 kB).
    jobs = _jobs(tmp_path, {f"m{i:03d}.py": 400 for i in range(600)})
    chunks = _chunks(jobs, 2)
    sizes = [sum(Path(job.path).stat().st_size for job in chunk) for chunk in chunks]
    assert sorted(job.path for chunk in chunks for job in chunk) == sorted(j.path for j in jobs)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] <= MIN_CHUNK_BYTES + 2400  # to a file


def test_unreadable_and_empty_files_still_get_a_chunk(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, {"one.py": 0, "two.py": 0})
    jobs.append(FileJob(str(tmp_path / "gone.py"), jobs[0].config))
    chunks = _chunks(jobs, 2)
    assert sorted(job.path for chunk in chunks for job in chunk) == sorted(j.path for j in jobs)


def test_a_warm_run_answers_from_the_cache_without_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every file cached, `-j 2` starts no process pool (its fork and the results sent
    back through pipes were most of a warm run's time); files that changed since, a fix to
    apply, and unreadable files still go to the workers, which report them as before."""
    import concurrent.futures

    sizes = {f"m{i}.py": 3 for i in range(6)}
    jobs = _jobs(tmp_path, sizes)
    Path(jobs[0].path).write_text("def f(a=[]):\n    return a\n", encoding="utf-8")
    settings = RunSettings(cache_dir=str(tmp_path / "cache"))
    cold = sorted(run_jobs(jobs, settings, 2), key=lambda o: o.path)
    assert not any(o.cached for o in cold)

    started: list[int] = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    def counting_pool(*args: Any, **kwargs: Any) -> concurrent.futures.ProcessPoolExecutor:
        started.append(kwargs.get("max_workers", 0))
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting_pool)
    warm = sorted(run_jobs(jobs, settings, 2), key=lambda o: o.path)
    assert started == []
    assert all(o.cached for o in warm)
    assert [(o.path, o.result) for o in warm] == [(o.path, o.result) for o in cold]

    # Two files changed: only they are checked, over the pool.
    Path(jobs[1].path).write_text("y = 2\n", encoding="utf-8")
    Path(jobs[2].path).write_text("z = 3\n", encoding="utf-8")
    partly = sorted(run_jobs(jobs, settings, 2), key=lambda o: o.path)
    assert len(started) == 1  # a pool, for the two changed files only
    assert [o.cached for o in partly] == [True, False, False, True, True, True]
    # --fix with a cached fixable finding: that file is checked (and fixed) by a worker.
    fixing = RunSettings(cache_dir=str(tmp_path / "cache"), fix=True)
    fixed = sorted(run_jobs(jobs, fixing, 2), key=lambda o: o.path)
    assert fixed[0].fixed == 1 and not fixed[0].cached
    assert "if a is None" in Path(jobs[0].path).read_text(encoding="utf-8")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fix", [False, True])
def test_a_partly_warm_run_reads_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fix: bool, workers: int
) -> None:
    """The parent reads every file to look it up in the cache; the files it does not answer
    go to the workers with that text, which do not read them again (in one process: the
    file read for the look-up is the file checked)."""
    jobs = _jobs(tmp_path / "src", {f"m{i}.py": 3 + i for i in range(6)})
    Path(jobs[0].path).write_text("def f(a=[]):\n    return a\n", encoding="utf-8")
    settings = RunSettings(cache_dir=str(tmp_path / "cache"), fix=fix)
    list(run_jobs(jobs[:3], RunSettings(cache_dir=settings.cache_dir), 1))  # half of them
    # Appended by every process (the workers are forked with this hook in place).
    log = tmp_path / "reads.log"
    read_source = check.read_source

    def counted(path: Path) -> check.Decoded:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{path}\n")
        return read_source(path)

    monkeypatch.setattr(check, "read_source", counted)
    outcomes = sorted(run_jobs(jobs, settings, workers), key=lambda o: o.path)
    assert Counter(log.read_text(encoding="utf-8").splitlines()) == {job.path: 1 for job in jobs}
    # m0 is cached but has a fix to apply under --fix: checked by a worker, read once too.
    assert [o.cached for o in outcomes] == [not fix, True, True, False, False, False]
    assert [o.fixed for o in outcomes] == [int(fix), 0, 0, 0, 0, 0]


def test_the_parent_hands_on_at_most_max_carried_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the budget the workers read the files again: a cold run over a huge tree with a
    cache folder (every entry stale after an upgrade) does not hold the tree in the parent."""
    jobs = _jobs(tmp_path / "src", {f"m{i}.py": 10 for i in range(4)})
    (tmp_path / "cache").mkdir()
    settings = RunSettings(cache_dir=str(tmp_path / "cache"))
    size = Path(jobs[0].path).stat().st_size
    monkeypatch.setattr(check, "MAX_CARRIED_BYTES", 2 * size)
    hits, left = check._split_cached(jobs, settings)
    assert hits == []
    assert [job.read is not None for job in left] == [True, True, False, False]
    outcomes = sorted(run_jobs(left, settings, 2), key=lambda o: o.path)
    assert [o.result is not None and o.warning is None for o in outcomes] == [True] * 4


def test_the_default_job_count_is_the_usable_core_count(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from agentsense.server.cli import check

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert check.default_jobs() == 3  # the cores this process may use, not the machine's

    def unsupported(pid: int) -> set[int]:
        raise OSError("not here")

    monkeypatch.setattr(os, "sched_getaffinity", unsupported, raising=False)
    assert check.default_jobs() == 8
