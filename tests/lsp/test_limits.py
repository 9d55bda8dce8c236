"""The server's per-document limits: the time budget, and memory that dies with a document."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from lsprotocol import types as lsp

from agentsense.analyzers import engine, incremental
from agentsense.analyzers.budget import NotLinted
from agentsense.analyzers.config import CliOverrides, Config
from agentsense.analyzers.incremental import IncrementalLinter
from agentsense.analyzers.model import Finding
from agentsense.server.lsp import analysis
from agentsense.server.lsp.analysis import compute_analysis
from agentsense.server.lsp.convert import DiagnosticOptions
from agentsense.server.lsp.state import TimeBudget
from tests.lsp.conftest import Client, Session, start_session

MUTABLE = "def f{n}(a=[]):\n    return a\n\n\n"
BIG = (
    "def f{n}(a=[]):\n"
    "    items = [a, 1, 2.5, 'three', (4, 5), {{'six': 6}}]\n"
    "    table = {{str(i): [i, i * 2, i ** 3] for i in range(10) if i % 2}}\n"
    "    return sorted(items, key=lambda item: (len(str(item)), table.get(str(item), [])))\n\n\n"
)


def _many_findings(statements: int) -> str:
    return "".join(MUTABLE.format(n=n) for n in range(statements))


async def _until(session: Session, uri: str, count: int) -> list[lsp.Diagnostic]:
    """The document's diagnostics once there are `count` of them (pulled or pushed again
    while a retry runs; a pull may be answered with the attempt that ran out)."""
    found: list[lsp.Diagnostic] = []
    for _ in range(300):
        found = await session.diagnostics(uri, timeout=60)
        if len(found) == count:
            break
        await asyncio.sleep(0.1)
    return found


def _analyses(session: Session, name: str) -> list[str]:
    """The modes the server logged for each analysis of a document ("v2: ... (incremental)")."""
    return [
        m.message.rsplit("(", 1)[1].rstrip(")")
        for m in session.client.log_messages
        if m.message.startswith(f"{name} v") and " findings in " in m.message
    ]


async def test_a_document_over_its_time_budget_is_analysed_again_and_edited_incrementally(
    fresh: Client,
) -> None:
    # A budget no analysis can keep (the first deadline check fails): the attempt runs out,
    # the user is told once, and the same version is analysed again at once with the larger
    # retry budget; every edit after it is incremental (never the whole file parsed again).
    (fresh.root / "slow").mkdir()
    (fresh.root / "slow" / "pyproject.toml").write_text(
        "[tool.agentsense]\nfile-time-budget = 0.000001\n"
    )
    session = await start_session(fresh)
    uri = session.open("slow/agent.py", _many_findings(20))
    assert {d.code for d in await _until(session, uri, 20)} == {"AGT401"}
    expected = (
        "agent.py is not linted yet: it took more than 1e-06 s to analyse (`file-time-budget`);"
        " analysing it again with up to 60 s"
    )
    for _ in range(200):
        if any(expected in m.message for m in session.client.messages):
            break
        await asyncio.sleep(0.05)
    told = [m for m in session.client.messages if "agent.py is not linted" in m.message]
    assert len(told) == 1 and expected in told[0].message
    assert told[0].type == lsp.MessageType.Info
    for number in range(3):
        session.edit(uri, 0, 4, 6, f"g{number}")  # `def f0` -> `def g0`, `g1`, `g2`
        assert len(await _until(session, uri, 20)) == 20
    modes = _analyses(session, "agent.py")
    assert modes[:2] == ["over budget", "full"], modes
    assert set(modes[2:]) <= {"over budget", "incremental", "unchanged"}, modes
    assert "incremental" in modes[2:], modes
    if not session.pull:
        # An attempt that ran out of time publishes nothing: the diagnostics shown are never
        # cleared while its retry runs.
        assert all(p.diagnostics for p in session.client.published if p.uri == uri)
    # Told once, whatever the edits.
    assert len([m for m in session.client.messages if "agent.py is not linted" in m.message]) == 1
    # The server goes on: a document under another config is linted.
    other = session.open("agent.py", _many_findings(2))
    assert {d.code for d in await session.diagnostics(other)} == {"AGT401"}


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_closed_documents_do_not_keep_memory(fresh: Client) -> None:
    # The module-global position cache kept each statement's syntax tree after its document
    # closed: RSS grew 70 -> 232 MB over open/close churn, a 3 MB document held 1.77 GB.
    # No time budget: a loaded machine must not turn this into a test of the budget.
    (fresh.root / "agentsense.toml").write_text("file-time-budget = 0\n")
    session = await start_session(fresh)
    server = fresh._server
    assert server is not None
    count = 800
    text = "".join(BIG.format(n=n) for n in range(count))

    async def findings(uri: str) -> int:
        # A pull answered before a slow analysis ends is empty (the server does not hold it
        # yet): ask again.
        for _ in range(20):
            found = len(await session.diagnostics(uri, timeout=120))
            if found:
                return found
        return 0

    async def cycle(name: str) -> None:
        uri = session.open(name, text)
        assert await findings(uri) == count
        session.edit(uri, 0, 4, 6, "g0")  # `def f0` -> `def g0`: an incremental re-lint
        assert await findings(uri) == count
        session.close(uri)

    await cycle("warm.py")  # the allocator's arenas and every lazy import, once
    await asyncio.sleep(3)  # the server collects garbage when idle (2 s)
    baseline = _rss_kb(server.pid)
    for number in range(2):
        await cycle(f"churn{number}.py")
    await asyncio.sleep(3)
    grown = _rss_kb(server.pid) - baseline
    # Measured on 2 loaded cores: 245-255 MB kept with the old module-level cache, 41-62 MB
    # without it (allocator arenas that stay mapped).
    assert grown < 120_000, f"RSS grew by {grown} kB over 2 open/edit/close cycles"


def _live(kind: type) -> int:
    gc.collect()
    return sum(1 for item in gc.get_objects() if type(item) is kind)


def test_position_tables_die_with_the_document() -> None:
    # The same, deterministic: nothing of a linted document outlives its linter.
    before = _live(cst.FunctionDef)
    linter = IncrementalLinter("/tmp/agent.py")
    config = Config.default()
    text = _many_findings(30)
    for version, source in enumerate((text, text.replace("def f0(", "def g0(", 1)), 1):
        analysis = compute_analysis(
            linter,
            "/tmp/agent.py",
            version,
            source,
            config,
            (),
            "utf-16",
            DiagnosticOptions(),
            lambda _: None,
        )
        assert len(analysis.findings) == 30
    assert _live(cst.FunctionDef) >= before + 30
    del linter, analysis
    assert _live(cst.FunctionDef) <= before


def _analysis(linter: IncrementalLinter, text: str, config: Config, budget: TimeBudget) -> Any:
    return compute_analysis(
        linter,
        "/tmp/agent.py",
        1,
        text,
        config,
        (),
        "utf-16",
        DiagnosticOptions(),
        lambda _: None,
        budget=budget,
    )


def test_an_attempt_out_of_time_keeps_what_it_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    # The deadline stops the walk of a parsed file (as it does a large file under load): the
    # retry walks the tree the attempt parsed instead of parsing the file again.
    config = Config.default().with_overrides(CliOverrides(file_time_budget=0.000001))
    monkeypatch.setattr(engine, "check_deadline", lambda: None)  # the parse goes through
    real = incremental.lint_statements
    calls: list[int] = []

    def running_out(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise NotLinted("it took more than 1e-06 s to analyse (`file-time-budget`)")
        return real(*args, **kwargs)

    monkeypatch.setattr(incremental, "lint_statements", running_out)
    linter = IncrementalLinter("/tmp/agent.py")
    budget = TimeBudget()
    text = _many_findings(30)
    missed = _analysis(linter, text, config, budget)
    assert missed.retry and missed.findings == () and missed.mode == "over budget"
    assert budget.missed and budget.exhausted is None
    assert linter.text == text and linter.module is not None
    retried = _analysis(linter, text, config, budget)
    assert not retried.retry and retried.not_linted is None
    assert retried.mode == "unchanged" and len(retried.findings) == 30
    assert not budget.missed


def test_after_the_larger_budget_runs_out_edits_wait_for_a_save(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(analysis, "RETRY_MIN_SECONDS", 0.0)  # the retry runs out too
    config = Config.default().with_overrides(CliOverrides(file_time_budget=0.000001))
    linter = IncrementalLinter("/tmp/agent.py")
    linted: list[str] = []
    real = linter.lint

    def counting(text: str, config: Config) -> list[Finding]:
        linted.append(text)
        return real(text, config)

    monkeypatch.setattr(linter, "lint", counting)
    budget = TimeBudget()
    text = _many_findings(5)
    assert _analysis(linter, text, config, budget).retry
    given_up = _analysis(linter, text, config, budget)
    assert not given_up.retry and given_up.not_linted is not None
    assert given_up.not_linted.startswith("it took more than 6e-06 s to analyse")
    assert given_up.not_linted.endswith("it is analysed again when saved")
    assert budget.exhausted == given_up.not_linted and linter.module is None
    assert len(linted) == 2
    # Edits are not analysed now: each would run out of the budget again.
    edited = text.replace("def f0(", "def g0(", 1)
    assert _analysis(linter, edited, config, budget).not_linted == budget.exhausted
    assert len(linted) == 2
    # A save starts a fresh budget: analysed again.
    assert _analysis(linter, edited, config, TimeBudget()).retry
    assert len(linted) == 3
