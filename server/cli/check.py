"""`agentsense check`: discovery, the worker pool, the cache, fixes and reporting."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import gc
import io
import os
import re
import stat
import sys
import tempfile
import tokenize
import traceback
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from agentsense.analyzers.budget import NotLinted, guard_recursion, time_budget, too_large
from agentsense.analyzers.config import CliOverrides, Config, ConfigError, ConfigResolver
from agentsense.analyzers.discovery import discover
from agentsense.analyzers.model import Finding, Fix
from agentsense.analyzers.project_model import FileResult, ProjectFindings, UsedSuppression
from agentsense.server.cli.cache import ResultCache
from agentsense.server.cli.formats import (
    Report,
    clean_summary,
    display_path,
    get_format,
    is_applicable,
    is_human,
    plural,
    source_key,
)
from agentsense.server.cli.status import (
    BUG_REPORT_URL,
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
)

if TYPE_CHECKING:
    import multiprocessing.context

    from rich.text import Text

    from agentsense.analyzers import notebook as notebooks

# analyzers/notebook.py's suffix: that module is imported only when a run meets a notebook.
NOTEBOOK_SUFFIX = ".ipynb"
PROGRESS_THRESHOLD = 20  # files: below this a run is over before a bar would help
STDIN = "-"


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """Everything `agentsense check` was asked to do."""

    paths: tuple[str, ...] = (".",)
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    overrides: CliOverrides = field(default_factory=CliOverrides)
    output_format: str = "full"
    output_file: Path | None = None
    statistics: bool = False
    exit_zero: bool = False
    stdin_filename: str | None = None
    jobs: int | None = None
    no_cache: bool = False
    config: Path | None = None
    show_fixes: bool = False
    quiet: bool = False
    color: str = "auto"  # auto (a terminal, unless NO_COLOR), always, never
    cache_dir: Path | None = None  # instead of each project's .agentsense_cache/
    exit_non_zero_on_fix: bool = False  # exit 1 when --fix changed something, even if clean
    add_noqa: bool = False  # write a noqa comment for every finding instead of reporting
    baseline: Path | None = None  # report only findings this baseline file does not record
    write_baseline: Path | None = None  # record today's findings in this file
    force_exclude: bool = False  # apply `exclude` to files named on the command line too


@dataclass(frozen=True, slots=True)
class Streams:
    """Where a run reads and writes (real stdio, or buffers in tests)."""

    stdin: BinaryIO
    stdout: TextIO
    stderr: TextIO


class Unreadable(Exception):
    """A file that cannot be linted: the message says why, for a one-line warning."""


# -- reading and writing source files --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # to write fixes back in (`utf-8-sig` keeps a BOM)
    data: bytes = b""  # the bytes read (fixes are not written over a file changed since)


def decode_source(data: bytes) -> Decoded:
    """Decode as Python does: BOM, then a PEP 263 coding cookie, else UTF-8."""
    if b"\x00" in data:
        raise Unreadable("binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"  # an unknown cookie: read it as UTF-8 (Python would refuse it)
    body, offset = data, 0
    if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
        body, offset = data[3:], 3
    try:
        text = body.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except UnicodeDecodeError as error:
        where = f"byte 0x{body[error.start]:02x} at offset {error.start + offset}"
        if encoding in ("utf-8", "utf-8-sig"):
            raise Unreadable(f"not UTF-8 ({where})") from None
        raise Unreadable(f"not valid {encoding} as its coding cookie declares ({where})") from None
    except LookupError:
        raise Unreadable(f"unknown encoding {encoding!r}") from None
    return Decoded(text, encoding, data)


def read_source(path: Path) -> Decoded:
    try:
        reason = too_large(path.stat().st_size)
        if reason is not None:
            raise Unreadable(reason)
        data = path.read_bytes()
    except OSError as error:
        raise Unreadable(f"cannot read: {error.strerror or error}") from None
    return decode_source(data)


def _restore_newlines(original: str, fixed: str) -> str:
    """Keep a CRLF file CRLF even where a fix inserted bare LFs."""
    if "\r\n" in original and "\n" not in original.replace("\r\n", ""):
        return re.sub(r"(?<!\r)\n", "\r\n", fixed)
    return fixed


def _keepends(text: str) -> list[str]:
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


def unified_diff(before: str, after: str, shown_path: str) -> str:
    lines = difflib.unified_diff(
        _keepends(before), _keepends(after), fromfile=shown_path, tofile=shown_path
    )
    out: list[str] = []
    for line in lines:
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


# -- checking one file (in a worker or in-process) ---------------------------------------


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What every file of a run gets: the same for the whole pool."""

    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    use_cache: bool = True
    cwd: str = ""
    cache_dir: str | None = None
    # Real paths of the folders and files given: --fix writes no file whose real path (a
    # symlink's target) lies outside them.
    write_roots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileJob:
    path: str  # absolute; what the findings carry
    config: Config
    # The file as the parent read it to look it up in the cache (a miss, or a fix to apply):
    # the worker that checks it does not read it again.
    read: Decoded | None = None


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What checking one file produced."""

    path: str
    result: FileResult | None = None
    fixed: int = 0
    fixed_codes: tuple[tuple[str, int], ...] = ()
    diff: str | None = None
    fixed_text: str | None = None  # the text after fixes, to write back or print
    warning: str | None = None  # the file was skipped: why
    error: str | None = None  # an internal error: its traceback
    cached: bool = False
    notebook: notebooks.JoinedNotebook | None = None  # a notebook's cells, to map rows back
    key: str | None = None  # the cache entry of `result` (None: no cache)


_caches: dict[Path, ResultCache] = {}


def _cache_for(config: Config, settings: RunSettings) -> ResultCache:
    root = Path(config.root)
    found = _caches.get(root)
    if found is None:
        directory = Path(settings.cache_dir) if settings.cache_dir else None
        found = ResultCache(root, enabled=settings.use_cache, directory=directory)
        _caches[root] = found
    return found


def _fixed_codes(
    before: Sequence[Finding], after: Sequence[Finding]
) -> tuple[tuple[str, int], ...]:
    removed = Counter(f.code for f in before) - Counter(f.code for f in after)
    return tuple(sorted(removed.items()))


def _fixes_to_apply(result: FileResult, settings: RunSettings) -> bool:
    """Whether `--fix`/`--diff` has a fix of these findings to apply (or show) in the file's
    own pass (`project_suppression_fixes` come after the project-wide pass)."""
    return (settings.fix or settings.diff) and any(
        is_applicable(f, settings.unsafe_fixes) and not _names_project_code(f)
        for f in result.findings
    )


@cache
def _project_codes() -> frozenset[str]:
    from agentsense.analyzers.registry import project_rules

    return frozenset(rule.code for rule in project_rules())


def _names_project_code(finding: Finding) -> bool:
    """Whether an unused-suppression finding (AGT900) names a cross-file rule's code: only
    the project-wide pass can tell whether that code silenced something (`fix_source` never
    applies its fix; `project_suppression_fixes` does, once the pass has said)."""
    from agentsense.analyzers.engine import unused_suppression_codes

    return any(code in _project_codes() for code in unused_suppression_codes(finding))


def project_suppression_fixes(
    result: FileResult, used: Collection[UsedSuppression], unsafe_fixes: bool
) -> list[Fix]:
    """The fixes of a file's AGT900 findings for cross-file codes that silenced nothing
    in the project-wide pass (`used` names the ones that did: their fixes are dropped)."""
    from agentsense.analyzers.project import without_used_suppressions

    return [
        finding.fix
        for finding in without_used_suppressions(result.findings, used)
        if finding.fix is not None
        and _names_project_code(finding)
        and is_applicable(finding, unsafe_fixes)
    ]


def refix_after_project_pass(
    first: FileOutcome, used: Collection[UsedSuppression], config: Config, settings: RunSettings
) -> TextCheck:
    """A `TextCheck` that applies, on top of `first` (the file's own pass), the fixes of
    its unused suppressions of cross-file codes, then any fix that follows from them."""

    def check(text: str, cache: ResultCache | None) -> FileOutcome:
        return _guarded(
            first.path, config, lambda: _refix(text, first, used, config, settings, cache)
        )

    return check


def _refix(
    on_disk: str,
    first: FileOutcome,
    used: Collection[UsedSuppression],
    config: Config,
    settings: RunSettings,
    cache: ResultCache | None,
) -> FileOutcome:
    from agentsense.analyzers.fixes import apply_fixes

    path = first.path
    # --diff and stdin write nothing: the first pass's fixes are in its text (a file's --fix
    # wrote it, and the outcome keeps no copy).
    text = first.fixed_text if first.fixed_text is not None else on_disk
    result, _, _ = _analysis(text, path, config, cache)
    if result != first.result:
        return first  # changed on disk since: the project pass's rows may not be its rows
    fixes = project_suppression_fixes(result, used, settings.unsafe_fixes)
    fixed, applied = apply_fixes(text, fixes)
    fixed = _restore_newlines(text, fixed)
    if applied == 0 or fixed == text or not _parses(fixed):
        return first
    # Removing a comment can let another fix apply: the file's own pass again, from there.
    again = dataclasses.replace(settings, fix=True, diff=False)  # fixes, written by the caller
    rest = _check_text(fixed, path, config, again, cache)
    assert rest.result is not None
    final = rest.fixed_text if rest.fixed_text is not None else fixed
    codes = Counter(dict(first.fixed_codes))
    codes.update(dict(_fixed_codes(result.findings, rest.result.findings)))
    diff = None
    if settings.diff:
        diff = unified_diff(on_disk, final, display_path(path, Path(settings.cwd)))
    return FileOutcome(
        path,
        rest.result,
        first.fixed + applied + rest.fixed,
        tuple(sorted(codes.items())),
        diff=diff,
        fixed_text=final,
        cached=first.cached,
        key=rest.key,
    )


def check_text(
    text: str, path: str, config: Config, settings: RunSettings, cache: ResultCache | None
) -> FileOutcome:
    """Lint (and with `settings.fix` fix) one file's text; never raises.

    The file gets `config.time_budget` seconds for all of it; past that, or nested too deeply
    to analyse, it is reported as not linted (a warning), never as clean.
    """
    return _guarded(path, config, lambda: _check_text(text, path, config, settings, cache))


def _guarded(path: str, config: Config, work: Callable[[], FileOutcome]) -> FileOutcome:
    """`work` within the file's time budget, on a stack deep enough for it; never raises."""
    try:
        with time_budget(config.time_budget):
            return guard_recursion(work)
    except NotLinted as why:
        return FileOutcome(path, warning=f"not linted: {why.reason}")
    except Exception:
        return FileOutcome(path, error=traceback.format_exc())


def _check_text(
    text: str, path: str, config: Config, settings: RunSettings, cache: ResultCache | None
) -> FileOutcome:
    result, cached, key = _analysis(text, path, config, cache)
    if not _fixes_to_apply(result, settings):
        return FileOutcome(path, result, cached=cached, key=key)
    from agentsense.analyzers.engine import fix_source

    fixed, applied, _ = fix_source(text, path, config, unsafe=settings.unsafe_fixes)
    fixed = _restore_newlines(text, fixed)
    # fix_source already refuses fixes that break the file; check again before writing.
    if applied == 0 or fixed == text or not _parses(fixed):
        return FileOutcome(path, result, cached=cached, key=key)
    after, _, key = _analysis(fixed, path, config, cache)
    codes = _fixed_codes(result.findings, after.findings)
    if settings.diff:
        shown = display_path(path, Path(settings.cwd))
        diff = unified_diff(text, fixed, shown)
        # The findings of the text --fix would write: the project-wide pass reads them.
        return FileOutcome(path, after, applied, codes, diff=diff, fixed_text=fixed, key=key)
    return FileOutcome(path, after, applied, codes, fixed_text=fixed, key=key)


def _parses(text: str) -> bool:
    """Whether libcst parses `text` (fixed text is checked before it is written)."""
    import libcst as cst

    from agentsense.analyzers.engine import parse

    return isinstance(parse(text), cst.Module)


def _analysis(
    text: str, path: str, config: Config, cache: ResultCache | None
) -> tuple[FileResult, bool, str | None]:
    """The file's result, whether it came from the cache, and its cache key; linted (and
    kept) on a miss."""
    key = cache.key(text, path, config) if cache is not None else None
    result = cache.get(key) if cache is not None and key is not None else None
    if result is not None:
        return result, True, key
    load_linter()
    from agentsense.analyzers.project import analyze

    result = analyze(text, path, config)
    if cache is not None and key is not None:
        cache.put(key, result)
    return result, False, key


@dataclass(frozen=True, slots=True)
class _Source:
    """What is linted of a file: its text, or a notebook's code cells joined."""

    text: str
    notebook: notebooks.JoinedNotebook | None = None
    notebook_data: dict[str, Any] | None = None  # the notebook's JSON, to write fixes into


def _source_of(path: Path, decoded: Decoded) -> _Source:
    """The text to lint in a file read (Unreadable: a notebook that is not one)."""
    if path.suffix != NOTEBOOK_SUFFIX:
        return _Source(decoded.text)
    from agentsense.analyzers.notebook import NotebookError, join, load

    try:
        data = load(decoded.text)
    except NotebookError as why:
        raise Unreadable(str(why)) from None
    notebook = join(data)
    return _Source(notebook.source, notebook, data)


# What checks a file's text (read from disk, a notebook's joined code cells) with a cache.
TextCheck = Callable[[str, ResultCache | None], FileOutcome]


def check_file(job: FileJob, settings: RunSettings, check: TextCheck | None = None) -> FileOutcome:
    """Read, lint, fix and write back one file (a notebook: its code cells); never raises.

    `check` replaces `check_text` (with the job's path and config) for the text.
    """
    path = Path(job.path)
    decoded = job.read
    if decoded is None:
        try:
            decoded = read_source(path)
        except Unreadable as why:
            return FileOutcome(job.path, warning=str(why))
    try:
        source = _source_of(path, decoded)
    except Unreadable as why:
        return FileOutcome(job.path, warning=str(why))
    text, notebook, data = source.text, source.notebook, source.notebook_data
    cache = _cache_for(job.config, settings) if settings.use_cache else None
    if check is None:
        outcome = check_text(text, job.path, job.config, settings, cache)
    else:
        outcome = check(text, cache)
    if notebook is not None:
        outcome = dataclasses.replace(outcome, notebook=notebook)
        if outcome.diff is not None and outcome.fixed_text is not None:
            shown = display_path(job.path, Path(settings.cwd))
            diff = notebook_diff(notebook, outcome.fixed_text, shown)
            outcome = dataclasses.replace(outcome, diff=diff)
    if outcome.fixed_text is None or settings.diff:
        return outcome
    problem = _outside_roots(path, settings.write_roots)
    payload = outcome.fixed_text
    if problem is None and notebook is not None and data is not None:
        from agentsense.analyzers.notebook import NotebookError, write_back

        try:
            payload = write_back(decoded.text, data, notebook, payload)
        except NotebookError as error:
            problem = str(error)
    if problem is None:
        try:
            # The real path: replacing a link would turn it into a copy.
            real = Path(os.path.realpath(path))
            replace_file(real, payload.encode(decoded.encoding), decoded.data or None)
        except FileChanged:
            problem = "it changed on disk while it was checked; run again"
        except (OSError, UnicodeEncodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            problem = f"cannot write them ({reason}); the file is unchanged"
    if problem is None:
        return FileOutcome(
            job.path,
            outcome.result,
            outcome.fixed,
            outcome.fixed_codes,
            cached=outcome.cached,
            notebook=notebook,
            key=outcome.key,
        )
    # Report the findings of the text on disk, which the fixes did not reach.
    kept = check_text(text, job.path, job.config, RunSettings(cwd=settings.cwd), cache)
    return FileOutcome(
        job.path,
        kept.result,
        warning=f"fixes not written: {problem}",
        error=kept.error,
        notebook=notebook,
        key=kept.key,
    )


def notebook_diff(notebook: notebooks.JoinedNotebook, fixed: str, shown_path: str) -> str:
    """What --fix would change in a notebook, cell by cell (`--- path:cell N`, as ruff)."""
    before = notebook.cell_sources(notebook.source) or []
    after = notebook.cell_sources(fixed)
    if after is None:
        return unified_diff(notebook.source, fixed, shown_path)
    return "".join(
        unified_diff(old, new, f"{shown_path}:cell {cell.number}")
        for cell, old, new in zip(notebook.cells, before, after, strict=True)
        if old != new
    )


class FileChanged(Exception):
    """The file on disk is no longer what was read: fixes would overwrite someone's edit."""


def _outside_roots(path: Path, roots: Sequence[str]) -> str | None:
    """Why fixes must not be written to `path` (a link out of the checked tree), or None."""
    if not roots:
        return None
    real = os.path.realpath(path)
    if any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        return None
    return f"it is a link to {real}, outside the checked paths"


def _write_all(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def replace_file(path: Path, data: bytes, expected: bytes | None) -> None:
    """Write `data` to `path` atomically, unless the file is no longer `expected`.

    `expected` None: the bytes read are unknown (a `Decoded` made without them), no check.

    The new text goes to a temporary file in the same folder (same file system), which
    replaces the original in one step: a full disk or a killed process leaves the original
    untouched, never a truncated file. The file's permission bits are kept.
    """
    current = path.read_bytes()
    if current == data:
        return  # already so (the same file reached through a link, fixed by another job)
    if expected is not None and current != expected:
        raise FileChanged(str(path))
    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            _write_all(stream, data)
        os.chmod(temporary, mode)
        # Checked again just before the swap: an editor may have saved meanwhile, or another
        # job fixing the same file through a link may have written the same text already.
        now = path.read_bytes()
        if now == data:
            os.unlink(temporary)
            return
        if expected is not None and now != expected:
            raise FileChanged(str(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def check_chunk(jobs: Sequence[FileJob], settings: RunSettings) -> list[FileOutcome]:
    """A worker's unit of work: several files, so pickling costs stay low."""
    return [check_file(job, settings) for job in jobs]


# The cyclic collector's threshold for its youngest generation during a run (CPython's is
# 700). A run allocates millions of short-lived objects that form no cycle (each file's trees
# are freed by reference counts: tests/test_per_file_costs.py), and at 700 the collector ran
# thousands of times a run to find nothing: ~5% of the CPU time of a run over 100 k lines.
# The older generations keep CPython's ratios to it.
YOUNG_COLLECTION_THRESHOLD = 50_000


def settle_collector() -> None:
    """Set the cyclic garbage collector up for a run: what is loaded by now (modules, rules)
    lives as long as the run and is frozen out of its sight, and it runs rarely."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


@cache
def load_linter() -> None:
    """Import the engine and every rule, once, when a run first has a file to lint (a warm
    run, every file in the cache, never does: libcst and the rules are most of its time).

    The collector is off while they load, and they are frozen out of its sight afterwards
    (`settle_collector`): they live as long as the run, and a collector scanning them over
    and over while they load costs a one-file run ~10% of its time. A process pool is
    forked after this, so its workers inherit them."""
    gc.disable()
    try:
        from agentsense.analyzers.registry import all_rules

        all_rules()
        settle_collector()
    finally:
        gc.enable()


def _warm_worker() -> None:
    """Load the linter once per worker process (a no-op after fork, which inherits the
    parent's, and its collector settings; a spawned worker settles its own)."""
    load_linter()
    if gc.get_threshold()[0] != YOUNG_COLLECTION_THRESHOLD:
        settle_collector()


@cache
def _pool_context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    # fork reuses the parent's imported rules at no cost; the parent starts no thread
    # before the workers exist, so it is safe on Linux. Elsewhere keep the platform default.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _file_size(job: FileJob) -> int:
    if job.read is not None:
        return len(job.read.data)
    try:
        return os.stat(job.path).st_size
    except OSError:
        return 0


def default_jobs() -> int:
    """The cores this process may run on (a CPU affinity mask or a container's cpuset can
    allow fewer than the machine has: more workers than cores only add start-up and
    switching)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity masks here (macOS, Windows)
        return os.cpu_count() or 1


# Each chunk: about 1/CHUNK_SHARE of one worker's share of the bytes not yet in a chunk.
CHUNK_SHARE = 4
MIN_CHUNK_BYTES = 16 * 1024  # ~400 lines: each chunk sent costs a pickled job list
# The bytes of files read for the cache that the parent hands on to the workers, at most
# (the text twice: as read and decoded); a bigger run lets the workers read the rest.
MAX_CARRIED_BYTES = 32 * 1024 * 1024
MAX_CHUNK_FILES = 64


def _chunks(jobs: Sequence[FileJob], workers: int) -> list[list[FileJob]]:
    """Chunks of shrinking size, largest files first: each about 1/`CHUNK_SHARE` of a
    worker's share of the bytes left, down to `MIN_CHUNK_BYTES`.

    The pool ends when its last chunk does: taken in path order, one folder of big files made
    one chunk a quarter of the work and the other worker waited for it. Largest first, and
    each chunk smaller than the one before, the chunks handed out last are small, so the
    workers finish within one small chunk of each other (with equal chunks, a sixteenth of
    the run: the busier worker's CPU was 4-11 % over the other's).
    """
    sized = sorted(((_file_size(job), job) for job in jobs), key=lambda pair: -pair[0])
    left = sum(size for size, _ in sized)
    chunks: list[list[FileJob]] = []
    current: list[FileJob] = []
    current_size = 0
    for size, job in sized:
        if not current:
            target = max(MIN_CHUNK_BYTES, left // (workers * CHUNK_SHARE))
        current.append(job)
        current_size += size
        if current_size >= target or len(current) >= MAX_CHUNK_FILES:
            chunks.append(current)
            left -= current_size
            current, current_size = [], 0
    if current:
        chunks.append(current)
    return chunks


def cached_outcome(job: FileJob, settings: RunSettings) -> FileOutcome | FileJob:
    """What `check_file` gives for a file whose result is cached and needs no fix, read
    here; else the job to check: with the text read here (a miss, a fix to apply), so that
    it is read once, or as it was (an unreadable file, anything unexpected: `check_file`
    then does it all and reports it)."""
    try:
        decoded = read_source(Path(job.path))
    except Exception:
        return job
    read = dataclasses.replace(job, read=decoded)
    try:
        source = _source_of(Path(job.path), decoded)
        cache = _cache_for(job.config, settings)
        key = cache.key(source.text, job.path, job.config)
        result = cache.get(key)
    except Exception:
        return read
    if result is None or _fixes_to_apply(result, settings):
        return read
    return FileOutcome(job.path, result, cached=True, notebook=source.notebook, key=key)


def _split_cached(
    jobs: Sequence[FileJob], settings: RunSettings
) -> tuple[list[FileOutcome], list[FileJob]]:
    """(the outcomes of the cached files, the jobs left to check), when a cache folder exists.

    A warm run then loads no linter and forks no worker (and sends no result back through a
    pipe); a cold one,
    with no cache folder yet, reads nothing twice, and neither does a partly warm one: the
    jobs left carry the text read here, up to `MAX_CARRIED_BYTES` in all (the rest are read
    again by the workers, so that a cold run over a huge tree does not hold it all here)."""
    if not settings.use_cache:
        return [], list(jobs)
    present: dict[Path, bool] = {}
    hits: list[FileOutcome] = []
    left: list[FileJob] = []
    carried = 0
    for job in jobs:
        directory = _cache_for(job.config, settings).directory
        if directory not in present:
            present[directory] = directory.is_dir()
        found = cached_outcome(job, settings) if present[directory] else job
        if isinstance(found, FileOutcome):
            hits.append(found)
            continue
        if found.read is not None:
            carried += len(found.read.data)
            if carried > MAX_CARRIED_BYTES:
                found = job
        left.append(found)
    return hits, left


def _in_process(
    jobs: Sequence[FileJob], settings: RunSettings, on_progress: Callable[[int], None] | None
) -> Iterator[FileOutcome]:
    """Each job in turn: from the cache (unless it was looked up already: it carries its
    text), else checked here, the linter loaded for the first such file."""
    for job in jobs:
        found = cached_outcome(job, settings) if settings.use_cache and job.read is None else job
        if not isinstance(found, FileOutcome):
            load_linter()
            found = check_file(found, settings)
        yield found
        if on_progress is not None:
            on_progress(1)


def run_jobs(
    jobs: Sequence[FileJob],
    settings: RunSettings,
    workers: int,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[FileOutcome]:
    """Check every job: in-process for one file or one worker, else the files the cache
    answers here and the others over a process pool. The linter is loaded only for a file
    the cache does not answer (before the pool forks, and outside any file's time budget)."""
    if workers <= 1 or len(jobs) <= 1:
        yield from _in_process(jobs, settings, on_progress)
        return
    hits, jobs = _split_cached(jobs, settings)

    def answered() -> Iterator[FileOutcome]:
        yield from hits
        if on_progress is not None and hits:
            on_progress(len(hits))

    if len(jobs) <= 1:
        yield from answered()
        yield from _in_process(jobs, settings, on_progress)
        return
    load_linter()  # before the fork: the workers inherit it
    # Imported here: checking one file (pre-commit's usual run) needs no process pool.
    from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    chunks = _chunks(jobs, workers)
    try:
        executor: Executor = ProcessPoolExecutor(
            max_workers=min(workers, len(chunks)),
            mp_context=_pool_context(),
            initializer=_warm_worker,
        )
    except (OSError, NotImplementedError, ImportError):
        # No process support here (some sandboxes lack semaphores): lint in this process.
        yield from answered()
        yield from _in_process(jobs, settings, on_progress)
        return
    with executor:
        futures: dict[Future[list[FileOutcome]], list[FileJob]] = {
            executor.submit(check_chunk, chunk, settings): chunk for chunk in chunks
        }
        # Every chunk is submitted (the workers forked) before the first outcome is yielded:
        # the caller may start a progress thread then.
        yield from answered()
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                outcomes = [
                    FileOutcome(job.path, error="a worker process died while checking this file")
                    for job in chunk
                ]
            yield from outcomes
            if on_progress is not None:
                on_progress(len(chunk))


# -- the run ------------------------------------------------------------------------------


class _Run:
    """One `check` invocation: state shared by its phases."""

    def __init__(self, options: CheckOptions, streams: Streams) -> None:
        self.options = options
        self.streams = streams
        self.cwd = Path.cwd()
        self.skipped = 0
        self.internal_errors = 0

    # messages -----------------------------------------------------------------------
    def warn(self, message: str) -> None:
        self.streams.stderr.write(f"agentsense: {message}\n")

    def skipped_file(self, path: str, why: str) -> None:
        self.skipped += 1
        self.warn(f"skipping {display_path(path, self.cwd)}: {why}")

    def internal_error(self, path: str, detail: str) -> None:
        self.internal_errors += 1
        last = detail.strip().splitlines()[-1] if detail.strip() else "unknown error"
        shown = display_path(path, self.cwd)
        self.warn(
            f"internal error while checking {shown}: {last}\n"
            f"  please report this bug at {BUG_REPORT_URL} "
            "(with the file, or a reduced copy of it, and the details below)\n"
            + "".join(f"    {line}\n" for line in detail.rstrip().splitlines())
        )

    # phases ---------------------------------------------------------------------------
    def execute(self) -> int:
        options = self.options
        paths = list(options.paths) or ["."]
        reads_stdin = paths == [STDIN] or (options.stdin_filename is not None and not options.paths)
        if STDIN in paths and not reads_stdin:
            self.warn("`-` (read from stdin) cannot be combined with other paths")
            return EXIT_ERROR
        resolver = ConfigResolver(options.config, options.overrides)
        if reads_stdin:
            return self.check_stdin(resolver)
        discovered = discover(
            [Path(p) for p in paths], resolver, force_exclude=options.force_exclude
        )
        if discovered.missing:
            for missing in discovered.missing:
                self.warn(f"path does not exist: {missing}")
            return EXIT_ERROR
        for folder, why in discovered.unreadable:
            self.skipped_file(f"{folder}{os.sep}", f"cannot list the folder: {why}")
        if not discovered.files:
            # ruff says so too: a run that checked nothing must not look like a clean one.
            self.warn(
                "no Python files found under the given paths (everything was excluded by "
                "`exclude` or .gitignore; see --no-respect-gitignore)"
            )
        jobs = [FileJob(str(file), resolver.for_path(file)) for file in discovered.files]
        settings = RunSettings(
            fix=options.fix,
            diff=options.diff,
            unsafe_fixes=options.unsafe_fixes,
            use_cache=not options.no_cache,
            cwd=str(self.cwd),
            cache_dir=str(options.cache_dir) if options.cache_dir else None,
            write_roots=tuple(os.path.realpath(p) for p in paths),
        )
        outcomes = self.run_all(jobs, settings)
        jobs_by_path = {job.path: job for job in jobs}

        def recheck(first: FileOutcome, used: Collection[UsedSuppression]) -> FileOutcome:
            job = jobs_by_path[first.path]
            return check_file(
                job, settings, refix_after_project_pass(first, used, job.config, settings)
            )

        outcomes = self.fix_project_suppressions(outcomes, resolver, settings, recheck)
        results: list[FileResult] = []
        diffs: list[str] = []
        fixed = 0
        fixed_by_file: dict[str, dict[str, int]] = {}
        for outcome in outcomes:
            if outcome.warning is not None:
                self.skipped_file(outcome.path, outcome.warning)
            if outcome.error is not None:
                self.internal_error(outcome.path, outcome.error)
            if outcome.result is not None:
                results.append(outcome.result)
            if outcome.diff:
                diffs.append(outcome.diff)
            if outcome.fixed:
                fixed += outcome.fixed
                fixed_by_file[outcome.path] = dict(outcome.fixed_codes)
        notebooks_by_path = {o.path: o.notebook for o in outcomes if o.notebook is not None}
        cache = _cache_for(jobs[0].config, settings) if settings.use_cache and jobs else None
        # Each result's cache entry: the project pass is cached only when every one has one.
        entries = [(o.path, o.key) for o in outcomes if o.result is not None and o.key]
        complete = len(entries) == len(results)
        project = self.project_pass(results, resolver, cache, entries if complete else None)
        findings = self.collect_findings(results, project, notebooks_by_path)
        if options.diff:
            return self.finish_diff(diffs, fixed)
        if options.add_noqa:
            return self.add_noqa(findings)
        line_of = self.line_reader(notebooks_by_path)
        if options.write_baseline is not None or options.baseline is not None:
            # Imported here: only a run given a baseline reads or writes one.
            from agentsense.server.cli import baseline

            try:
                if options.write_baseline is not None:
                    count = baseline.write(options.write_baseline, findings, line_of)
                    self.warn(f"recorded {plural(count, 'finding')} in {options.write_baseline}")
                    return self.exit_code(False)
                findings = self.hide_recorded(findings, line_of)
            except baseline.BaselineError as error:
                self.warn(str(error))
                return EXIT_ERROR
        report = Report(
            findings=findings,
            cwd=self.cwd,
            sources=self.load_sources(findings, {}, notebooks_by_path),
            unsafe_fixes=options.unsafe_fixes,
            show_fixes=options.show_fixes,
            fix_mode=options.fix,
            fixed=fixed,
            fixed_by_file=fixed_by_file,
            files_checked=len(results),
            complete=not (self.skipped or self.internal_errors),
            quiet=options.quiet,
        )
        self.write_report(report, self.streams.stdout)
        return self.exit_code(bool(findings) or (options.exit_non_zero_on_fix and fixed > 0))

    def hide_recorded(
        self, findings: tuple[Finding, ...], line_of: Callable[[Finding], str]
    ) -> tuple[Finding, ...]:
        """`--baseline`: the findings it does not record (raises `baseline.BaselineError`)."""
        from agentsense.server.cli import baseline

        assert self.options.baseline is not None
        filtered = baseline.apply(self.options.baseline, findings, line_of)
        if not self.options.quiet and (filtered.hidden or filtered.gone):
            gone = (
                f"; {plural(filtered.gone, 'recorded finding')} no longer occur "
                "(--write-baseline to shrink the file)"
                if filtered.gone
                else ""
            )
            self.warn(f"{plural(filtered.hidden, 'finding')} hidden by the baseline{gone}")
        return tuple(filtered.findings)

    def fix_project_suppressions(
        self,
        outcomes: list[FileOutcome],
        resolver: ConfigResolver,
        settings: RunSettings,
        recheck: Callable[[FileOutcome, Collection[UsedSuppression]], FileOutcome],
    ) -> list[FileOutcome]:
        """`--fix`/`--diff`: remove the suppressions of cross-file codes that the project-wide
        pass finds unused, in the files that have one (a file's own pass cannot tell), each
        by `recheck(its outcome, the suppressions the pass used)`.

        Removing an unused comment changes no finding of the pass, so one pass decides.
        """
        if not (settings.fix or settings.diff):
            return outcomes
        pending = [
            outcome
            for outcome in outcomes
            if outcome.result is not None
            and outcome.warning is None
            and outcome.error is None
            and any(f.fix is not None and _names_project_code(f) for f in outcome.result.findings)
        ]
        if not pending:
            return outcomes
        results = [outcome.result for outcome in outcomes if outcome.result is not None]
        try:
            load_linter()
            from agentsense.analyzers.project import project_findings

            used = project_findings(results, lambda path: resolver.for_path(Path(path))).used
        except ConfigError:
            raise
        except Exception:
            return outcomes  # collect_findings runs the pass again and reports the error
        refixed: dict[str, FileOutcome] = {}
        for first in pending:
            outcome = recheck(first, used)
            if outcome.result is None:  # not linted, or an internal error: report it
                outcome = dataclasses.replace(first, warning=outcome.warning, error=outcome.error)
            refixed[first.path] = outcome
        return [refixed.get(outcome.path, outcome) for outcome in outcomes]

    def line_reader(
        self, notebooks_by_path: dict[str, notebooks.JoinedNotebook]
    ) -> Callable[[Finding], str]:
        """A finding's first source line (a notebook's: in its cell), files read once."""
        texts: dict[str, list[str]] = {}

        def line_of(finding: Finding) -> str:
            key = source_key(finding.path, finding.cell)
            if key not in texts:
                notebook = notebooks_by_path.get(finding.path)
                if notebook is not None:
                    cells = notebook.cell_sources(notebook.source) or []
                    for cell, text in zip(notebook.cells, cells, strict=False):
                        texts[source_key(finding.path, cell.number)] = text.splitlines()
                else:
                    try:
                        texts[key] = read_source(Path(finding.path)).text.splitlines()
                    except Unreadable:
                        texts[key] = []
            lines = texts.get(key, [])
            row = finding.span.start.row
            return lines[row - 1] if 0 < row <= len(lines) else ""

        return line_of

    def add_noqa(self, findings: Sequence[Finding]) -> int:
        """`--add-noqa`: suppress every finding where it is, and say how many lines changed."""
        from agentsense.server.actions import add_noqa

        by_path: dict[str, list[Finding]] = {}
        for finding in findings:
            if finding.cell:
                continue  # a notebook's cells are not rewritten by --add-noqa
            by_path.setdefault(finding.path, []).append(finding)
        added = 0
        for path, found in sorted(by_path.items()):
            try:
                decoded = read_source(Path(path))
            except Unreadable as why:
                self.skipped_file(path, str(why))
                continue
            text, count = add_noqa(decoded.text, found)
            if not count:
                continue
            try:
                Path(path).write_bytes(
                    _restore_newlines(decoded.text, text).encode(decoded.encoding)
                )
            except OSError as error:
                self.skipped_file(path, f"cannot write: {error.strerror or error}")
                continue
            added += count
        if not self.options.quiet:
            self.streams.stderr.write(f"Added {plural(added, 'noqa directive')}.\n")
        return self.exit_code(False)

    def run_all(self, jobs: Sequence[FileJob], settings: RunSettings) -> list[FileOutcome]:
        workers = self.options.jobs or default_jobs()
        show_progress = (
            len(jobs) > PROGRESS_THRESHOLD
            and not self.options.quiet
            and self.streams.stderr.isatty()
        )
        if not show_progress:
            return sorted(run_jobs(jobs, settings, workers), key=lambda o: o.path)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        progress = Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(file=self.streams.stderr),
            transient=True,
        )
        task = progress.add_task("check", total=len(jobs))
        outcomes: list[FileOutcome] = []
        started = False
        # The generator submits every chunk (forking the workers) on its first step, so the
        # progress thread only starts once no more processes will be forked.
        for outcome in run_jobs(jobs, settings, workers, lambda n: progress.advance(task, n)):
            if not started:
                progress.start()
                started = True
            outcomes.append(outcome)
        if started:
            progress.stop()
        outcomes.sort(key=lambda o: o.path)
        return outcomes

    def project_pass(
        self,
        results: Sequence[FileResult],
        resolver: ConfigResolver,
        cache: ResultCache | None = None,
        entries: Sequence[tuple[str, str]] | None = None,
    ) -> ProjectFindings | None:
        """The project-wide pass over `results` (None after an internal error, reported):
        from `cache` when it holds the pass over these very entries (each result's path and
        cache key), else run and kept there."""
        key = cache.project_key(entries) if cache is not None and entries is not None else None
        found = cache.get_project(key) if cache is not None and key is not None else None
        if found is not None:
            return found
        try:
            load_linter()
            from agentsense.analyzers.project import project_findings

            found = project_findings(results, lambda path: resolver.for_path(Path(path)))
        except ConfigError:
            raise
        except Exception:
            self.internal_error("the project (cross-file rules)", traceback.format_exc())
            return None
        if cache is not None and key is not None:
            cache.put_project(key, found)
        return found

    def collect_findings(
        self,
        results: Sequence[FileResult],
        project: ProjectFindings | None,
        notebooks_by_path: dict[str, notebooks.JoinedNotebook] | None = None,
    ) -> tuple[Finding, ...]:
        """Every file's findings and the project-wide pass's, sorted (cells mapped back)."""
        findings = [f for result in results for f in result.findings]
        if project is not None:
            if project.used:
                from agentsense.analyzers.project import without_used_suppressions

                # A suppression comment that silenced a cross-file finding was used after all.
                findings = without_used_suppressions(findings, project.used)
            findings.extend(project.findings)
        if notebooks_by_path:
            from agentsense.analyzers.notebook import to_cells

            findings = [
                to_cells(f, notebooks_by_path[f.path]) if f.path in notebooks_by_path else f
                for f in findings
            ]
        findings.sort(key=lambda f: (f.path, f.cell, f.span.start, f.code))
        return tuple(findings)

    def load_sources(
        self,
        findings: Sequence[Finding],
        known: dict[str, str],
        notebooks_by_path: dict[str, notebooks.JoinedNotebook] | None = None,
    ) -> dict[str, str]:
        """Source text for the files with findings (each cell of a notebook on its own),
        when the format shows source lines."""
        if self.options.statistics or self.options.output_format != "full":
            return known
        sources = dict(known)
        for path, notebook in (notebooks_by_path or {}).items():
            cells = notebook.cell_sources(notebook.source) or []
            for cell, text in zip(notebook.cells, cells, strict=False):
                sources[source_key(path, cell.number)] = text
        for path in {f.path for f in findings if not f.cell} - sources.keys():
            try:
                sources[path] = read_source(Path(path)).text
            except Unreadable:
                continue  # the report still lists the finding, without its lines
        return sources

    def check_stdin(self, resolver: ConfigResolver) -> int:
        options = self.options
        name = options.stdin_filename
        path = os.path.abspath(name) if name else STDIN
        config = resolver.for_path(Path(path) if name else self.cwd)
        data = self.streams.stdin.read()
        try:
            decoded = decode_source(data)
        except Unreadable as why:
            self.skipped_file(name or "stdin", str(why))
            if options.fix and not options.diff:
                # An editor piping through --fix must get its text back, never nothing.
                self.write_bytes(self.streams.stdout, data)
            return EXIT_ERROR
        settings = RunSettings(
            fix=options.fix,
            diff=options.diff,
            unsafe_fixes=options.unsafe_fixes,
            use_cache=False,
            cwd=str(self.cwd),
        )
        load_linter()  # outside the file's time budget
        outcome = check_text(decoded.text, path, config, settings, None)

        def recheck(first: FileOutcome, used: Collection[UsedSuppression]) -> FileOutcome:
            return refix_after_project_pass(first, used, config, settings)(decoded.text, None)

        (outcome,) = self.fix_project_suppressions([outcome], resolver, settings, recheck)
        if outcome.error is not None:
            self.internal_error(path, outcome.error)
        results = [outcome.result] if outcome.result is not None else []
        findings = self.collect_findings(results, self.project_pass(results, resolver))
        if options.diff:
            return self.finish_diff([outcome.diff] if outcome.diff else [], outcome.fixed)
        text = outcome.fixed_text if outcome.fixed_text is not None else decoded.text
        report = Report(
            findings=findings,
            cwd=self.cwd,
            sources=self.load_sources(findings, {path: text}),
            unsafe_fixes=options.unsafe_fixes,
            show_fixes=options.show_fixes,
            fix_mode=options.fix,
            fixed=outcome.fixed,
            fixed_by_file={path: dict(outcome.fixed_codes)} if outcome.fixed else {},
            files_checked=len(results),
            complete=outcome.error is None,
            quiet=options.quiet,
        )
        if options.fix:
            # stdout carries the fixed source; the remaining findings go to stderr.
            self.write_raw(self.streams.stdout, text)
            self.write_report(report, self.streams.stderr)
        else:
            self.write_report(report, self.streams.stdout)
        return self.exit_code(
            bool(findings) or (options.exit_non_zero_on_fix and outcome.fixed > 0)
        )

    def finish_diff(self, diffs: Sequence[str], fixed: int) -> int:
        for diff in diffs:
            self.write_raw(self.streams.stdout, diff)
        if not self.options.quiet:
            self.streams.stderr.write(
                f"Would fix {plural(fixed, 'error')}.\n" if fixed else "No fixes available.\n"
            )
        return self.exit_code(bool(diffs))

    # output ---------------------------------------------------------------------------
    def write_bytes(self, stream: TextIO, data: bytes) -> None:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(data)
            buffer.flush()
        else:
            stream.write(data.decode("utf-8", "surrogateescape"))

    def write_raw(self, stream: TextIO, text: str) -> None:
        """Write text exactly (no newline translation) when the stream has a byte layer."""
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(text.encode(getattr(stream, "encoding", None) or "utf-8", "replace"))
            buffer.flush()
        else:
            stream.write(text)

    def write_report(self, report: Report, stream: TextIO) -> None:
        options = self.options
        human = is_human(options.output_format)
        # A clean run (pre-commit's usual one) written where no colour applies needs no rich.
        clean = clean_summary(report) if human and not options.statistics else None
        if clean is not None and options.output_file is None and _uncoloured(stream, options.color):
            stream.write(clean)  # what rich would write
            return
        rendered: str | Text
        if clean is not None and options.output_file is not None:
            rendered = clean  # a file gets the plain text
        elif options.statistics:
            from agentsense.server.cli.formats import statistics as statistics_format

            if options.output_format in ("json", "json-lines"):
                rendered = statistics_format.render_json(report)
            else:
                rendered = statistics_format.render_text(report)
        else:
            rendered = get_format(options.output_format).render(report)
        if not human and report.fix_mode and report.fixed and not options.quiet:
            # Machine formats stay parseable: the fix count goes to stderr.
            self.streams.stderr.write(f"Fixed {plural(report.fixed, 'error')}.\n")
        if options.output_file is not None:
            target = options.output_file
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                plain = rendered if isinstance(rendered, str) else rendered.plain
                target.write_text(plain, encoding="utf-8")
            except OSError as error:
                self.warn(f"cannot write {target}: {error.strerror or error}")
                self.internal_errors += 1
            return
        if not isinstance(rendered, str):
            from rich.console import Console  # only a human format's styled text needs it

            console = Console(
                file=stream,
                soft_wrap=True,
                highlight=False,
                markup=False,
                emoji=False,
                force_terminal={"always": True, "never": False}.get(options.color),
                no_color=True if options.color == "never" else None,
            )
            console.print(rendered, end="")
        else:
            self.write_raw(stream, rendered)

    def exit_code(self, problems: bool) -> int:
        if self.internal_errors:
            return EXIT_ERROR
        if problems:
            return EXIT_CLEAN if self.options.exit_zero else EXIT_FINDINGS
        # Files that could not be read make an otherwise clean run fail (see --help).
        return EXIT_ERROR if self.skipped else EXIT_CLEAN


def _uncoloured(stream: TextIO, color: str) -> bool:
    """Whether rich would surely write to `stream` without styles: `--color never`, or
    `auto` to a stream that is not a terminal, with no environment variable that could
    make rich style it anyway (when unsure: False, and rich decides)."""
    if color == "never":
        return True
    if color != "auto" or "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:
        return False


def run_check(options: CheckOptions, streams: Streams) -> int:
    """Run `agentsense check`; every user-caused problem is a message and exit code 2."""
    run = _Run(options, streams)
    _caches.clear()  # a fresh cache state per run (main() may run several times in-process)
    try:
        return run.execute()
    except ConfigError as error:
        run.warn(str(error))
        return EXIT_ERROR
