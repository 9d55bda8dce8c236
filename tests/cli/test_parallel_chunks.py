"""How `check -j N` splits the files into chunks: largest first, about equal bytes each."""

from __future__ import annotations

from pathlib import Path

from agentsense.analyzers.config import CliOverrides, ConfigResolver
from agentsense.server.cli.check import CHUNKS_PER_WORKER, FileJob, _chunks


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
    assert all("/z/big_" in job.path for chunk in chunks[:4] for job in chunk)
    total = sum(Path(job.path).stat().st_size for job in jobs)
    last = sum(Path(job.path).stat().st_size for job in chunks[-1])
    assert last <= total / (2 * CHUNKS_PER_WORKER)


def test_unreadable_and_empty_files_still_get_a_chunk(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, {"one.py": 0, "two.py": 0})
    jobs.append(FileJob(str(tmp_path / "gone.py"), jobs[0].config))
    chunks = _chunks(jobs, 2)
    assert sorted(job.path for chunk in chunks for job in chunk) == sorted(j.path for j in jobs)
