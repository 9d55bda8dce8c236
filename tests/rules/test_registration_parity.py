"""Parity: the linter's verdict on a registration equals what importing it with the runtime does.

Each snippet is linted (never imported by the linter) and also written to a module that a
child process imports, with the runtime's registries imported fresh for every snippet. The
snippet is refused by the linter iff importing it raises, and for contract problems the
linter's messages are the runtime's exception messages.

Which findings mean "the registry refuses it", from what the runtime does:

- reference runtime (`@tool`, `BaseTool`, `Agent`): AGT210 (no description), AGT211 (missing
  attribute, abstract `execute`, a name/agent_type of the wrong type, an argument `tool()`
  does not take), AGT212 (the second registration of a name: `DuplicateToolError`), AGT214
  (name pattern) and AGT215 (description over 1024 characters) all raise at import. AGT201
  (an untyped parameter) and AGT213 do not: the runtime registers such tools.
- user-defined registries (metaclass `__new__` / `__init_subclass__`): only AGT216 (their own
  `raise` guards, or a missing attribute the hook reads). AGT210/AGT214/AGT215 on a
  user-defined tool registry are advice, not refusals.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from agentsense.analyzers.model import Finding
from tests.helpers import lint_with

REGISTRATION_CODES = (
    "AGT201",
    "AGT210",
    "AGT211",
    "AGT212",
    "AGT213",
    "AGT214",
    "AGT215",
    "AGT216",
)
REFUSING_CODES = {
    "runtime": frozenset({"AGT210", "AGT211", "AGT212", "AGT214", "AGT215"}),
    "user": frozenset({"AGT216"}),
}
# Messages compared for equality (AGT212's also names the other site: compared by inclusion).
EXACT_MESSAGE_CODES = frozenset({"AGT210", "AGT211", "AGT214", "AGT215", "AGT216"})


@dataclass(frozen=True)
class Snippet:
    id: str
    registry: Literal["runtime", "user"]
    refused: bool  # what the runtime does (asserted too, so the table stays honest)
    code: str
    # False where the linter words a non-contract error better than Python does.
    same_message: bool = True
    advice: tuple[str, ...] = field(default=())  # codes expected although the import succeeds

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


LONG = "Look up a word in the dictionary. " * 31  # 1054 characters

SNIPPETS = [
    # -- reference runtime: @tool ------------------------------------------------------
    Snippet(
        "tool-docstring",
        "runtime",
        False,
        '''
        from agentsense.runtime.registry import tool

        @tool
        def search(query: str, limit: int = 5) -> list[str]:
            """Search the web.

            Args:
                query: what to look for.
            """
            return []
        ''',
    ),
    Snippet(
        "tool-keywords",
        "runtime",
        False,
        """
        from agentsense.runtime.registry import tool

        @tool(name="lookup-price_2", description="Look up a stock price.")
        async def lookup(ticker: str, exchange: str | None = None) -> float:
            return 0.0
        """,
    ),
    Snippet(
        "tool-untyped-is-registered",
        "runtime",
        False,
        '''
        from typing import Optional

        from agentsense.runtime.registry import tool

        @tool()
        def tag(item, labels: list[str], note: Optional[str] = None) -> None:
            """Tag an item."""
        ''',
        advice=("AGT201",),
    ),
    Snippet(
        "tool-description-exactly-1024",
        "runtime",
        False,
        """
        from agentsense.runtime.registry import tool

        @tool(description="x" * 1024)
        def noop() -> None:
            pass
        """,
    ),
    Snippet(
        "tool-long-docstring-second-paragraph",
        "runtime",
        False,
        f'''
        from agentsense.runtime.registry import tool

        @tool
        def define(word: str) -> str:
            """Define a word.

            {LONG}
            """
            return word
        ''',
    ),
    Snippet(
        "tool-no-description",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import tool

        @tool
        def search(query: str) -> list[str]:
            return []
        """,
    ),
    Snippet(
        "tool-blank-description",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool(description="  ")
        def search(query: str) -> list[str]:
            """Ignored: the explicit description wins."""
            return []
        ''',
    ),
    Snippet(
        "tool-name-with-space",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool(name="web search")
        def search(query: str) -> list[str]:
            """Search the web."""
            return []
        ''',
    ),
    Snippet(
        "tool-name-too-long",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool(name="n" * 65)
        def search(query: str) -> list[str]:
            """Search the web."""
            return []
        ''',
    ),
    Snippet(
        "tool-name-and-description-bad",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import tool

        @tool(name="web.search")
        def search(query: str) -> list[str]:
            return []
        """,
    ),
    Snippet(
        "tool-description-too-long",
        "runtime",
        True,
        f"""
        from agentsense.runtime.registry import tool

        @tool(description="{LONG}")
        def define(word: str) -> str:
            return word
        """,
    ),
    Snippet(
        "tool-name-not-a-string",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool(name=42)
        def search(query: str) -> list[str]:
            """Search the web."""
            return []
        ''',
    ),
    Snippet(
        "tool-description-not-a-string",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import tool

        @tool(description=["Search", "the web"])
        def search(query: str) -> list[str]:
            return []
        """,
    ),
    Snippet(
        "tool-unexpected-keyword",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool(schema={"type": "object", "properties": {"query": {"type": "string"}}})
        def search(query: str) -> list[str]:
            """Search the web."""
            return []
        ''',
    ),
    Snippet(
        # A hand-written schema is accepted (AGT213 reports disagreement, not the import).
        "tool-explicit-parameters",
        "runtime",
        False,
        '''
        from agentsense.runtime.registry import tool

        @tool(parameters={"type": "object", "properties": {"location": {"type": "string"}}})
        def weather(city: str) -> str:
            """Current weather for a city."""
            return city
        ''',
        advice=("AGT213",),
    ),
    Snippet(
        "tool-positional-name",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool("search")
        def search(query: str) -> list[str]:
            """Search the web."""
            return []
        ''',
        same_message=False,
    ),
    Snippet(
        "tool-name-from-constant",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        SEARCH = "search the web"

        @tool(name=SEARCH)
        def search(query: str) -> list[str]:
            """Search the web."""
            return []
        ''',
    ),
    Snippet(
        "tool-duplicate-name",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import tool

        @tool(name="search")
        def search_web(query: str) -> list[str]:
            """Search the web."""
            return []

        @tool(name="search")
        def search_docs(query: str) -> list[str]:
            """Search the docs."""
            return []
        ''',
    ),
    # -- reference runtime: BaseTool ---------------------------------------------------
    Snippet(
        "basetool-valid",
        "runtime",
        False,
        """
        from agentsense.runtime.registry import BaseTool

        class Fetch(BaseTool):
            name = "fetch"
            description = "Fetch a URL."

            async def execute(self, url: str, timeout: float = 10.0) -> str:
                return url
        """,
    ),
    Snippet(
        "basetool-abstract-bases",
        "runtime",
        False,
        """
        from abc import abstractmethod

        from agentsense.runtime.registry import BaseTool

        class HttpTool(BaseTool):
            abstract = True
            description = "An HTTP tool."

        class Cached(BaseTool):
            @abstractmethod
            def key(self) -> str: ...

        class Fetch(HttpTool):
            name = "fetch"

            def execute(self, url: str) -> str:
                return url
        """,
    ),
    Snippet(
        "basetool-inherits-from-declared-base",
        "runtime",
        False,
        """
        from agentsense.runtime.registry import BaseTool

        class Described(BaseTool):
            abstract = True
            name = "base"
            description = "Shared description."

        class Fetch(Described):
            name = "fetch"

            def execute(self, url: str) -> str:
                return url
        """,
    ),
    Snippet(
        "basetool-missing-description",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import BaseTool

        class Fetch(BaseTool):
            """A docstring is not the description attribute."""

            name = "fetch"

            def execute(self, url: str) -> str:
                return url
        ''',
    ),
    Snippet(
        "basetool-missing-name-and-description",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Fetch(BaseTool):
            timeout = 3

            def execute(self, url: str) -> str:
                return url
        """,
    ),
    Snippet(
        "basetool-abstract-execute",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Summarise(BaseTool):
            name = "summarise"
            description = "Summarise a text."
        """,
    ),
    Snippet(
        "basetool-missing-name-abstract-execute",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Summarise(BaseTool):
            description = "Summarise a text."
        """,
    ),
    Snippet(
        "basetool-name-tuple",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Search(BaseTool):
            name = "search",
            description = "Search the web."

            def execute(self, query: str) -> list[str]:
                return []
        """,
    ),
    Snippet(
        "basetool-name-property",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Search(BaseTool):
            description = "Search the web."

            @property
            def name(self) -> str:
                return "search"

            def execute(self, query: str) -> list[str]:
                return []
        """,
    ),
    Snippet(
        "basetool-empty-description",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Search(BaseTool):
            name = "search"
            description = ""

            def execute(self, query: str) -> list[str]:
                return []
        """,
    ),
    Snippet(
        "basetool-invalid-name",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import BaseTool

        class Weather(BaseTool):
            name = "weather/current"
            description = "Current weather."

            def execute(self, city: str) -> str:
                return city
        """,
    ),
    Snippet(
        "basetool-and-tool-share-names",
        "runtime",
        True,
        '''
        from agentsense.runtime.registry import BaseTool, tool

        @tool
        def fetch(url: str) -> str:
            """Fetch a URL."""
            return url

        class Fetcher(BaseTool):
            name = "fetch"
            description = "Fetch with retries."

            def execute(self, url: str) -> str:
                return url
        ''',
    ),
    # -- reference runtime: Agent ------------------------------------------------------
    Snippet(
        "agent-valid",
        "runtime",
        False,
        """
        from abc import ABC, abstractmethod

        from agentsense.runtime.registry import Agent

        class Base(Agent):
            abstract = True

        class Researcher(Base, agent_type="researcher"):
            pass

        class Writer(Agent, agent_type="writer"):
            pass

        class ChainOfThought(Agent):
            agent_type = "cot"

        class Runnable(Agent, ABC):
            @abstractmethod
            def run(self, task: str) -> str: ...

        class Echo(Runnable, agent_type="echo"):
            def run(self, task: str) -> str:
                return task
        """,
    ),
    Snippet(
        "agent-concrete-without-type",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent):
            def run(self, task: str) -> str:
                return task
        """,
    ),
    Snippet(
        "agent-inherited-type-does-not-count",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent, agent_type="research"):
            pass

        class DeepResearcher(Researcher):
            pass
        """,
    ),
    Snippet(
        "agent-type-given-twice",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent, agent_type="research"):
            agent_type = "search"
        """,
    ),
    Snippet(
        "agent-type-with-abstract-method-left",
        "runtime",
        True,
        """
        from abc import ABC, abstractmethod

        from agentsense.runtime.registry import Agent

        class Runnable(Agent, ABC):
            @abstractmethod
            def run(self, task: str) -> str: ...

        class Lazy(Runnable):
            agent_type = "lazy"
        """,
    ),
    Snippet(
        "agent-class-attribute-duplicate",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent):
            agent_type = "research"

        class Searcher(Agent, agent_type="research"):
            pass
        """,
    ),
    Snippet(
        "agent-empty-type",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent, agent_type=" "):
            pass
        """,
    ),
    Snippet(
        "agent-type-not-a-string",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent, agent_type=7):
            pass
        """,
    ),
    Snippet(
        "agent-duplicate-type",
        "runtime",
        True,
        """
        from agentsense.runtime.registry import Agent

        class Researcher(Agent, agent_type="research"):
            pass

        class DeepResearcher(Agent, agent_type="research"):
            pass
        """,
    ),
    # -- user-defined registries -------------------------------------------------------
    Snippet(
        "meta-valid",
        "user",
        False,
        """
        PLUGINS = {}

        class PluginMeta(type):
            def __new__(mcls, name, bases, namespace, **kwargs):
                cls = super().__new__(mcls, name, bases, namespace, **kwargs)
                if not bases or namespace.get("abstract", False):
                    return cls
                if "name" not in namespace:
                    raise TypeError(f"{name} must define name")
                PLUGINS[namespace["name"]] = cls
                return cls

        class Plugin(metaclass=PluginMeta):
            pass

        class Web(Plugin):
            abstract = True

        class Search(Web):
            name = "search"
        """,
    ),
    Snippet(
        "meta-missing-own-attribute",
        "user",
        True,
        """
        PLUGINS = {}

        class PluginMeta(type):
            def __new__(mcls, name, bases, namespace, **kwargs):
                cls = super().__new__(mcls, name, bases, namespace, **kwargs)
                if not bases:
                    return cls
                if "name" not in namespace:
                    raise TypeError(f"{name} must define name")
                PLUGINS[namespace["name"]] = cls
                return cls

        class Plugin(metaclass=PluginMeta):
            name = "plugin"

        class Search(Plugin):
            pass
        """,
    ),
    Snippet(
        "meta-required-list",
        "user",
        True,
        """
        TOOLS = {}
        REQUIRED_ATTRS = ["name", "description", "run"]

        class ToolMeta(type):
            def __new__(mcls, cls_name, bases, attrs):
                if bases:
                    missing = [a for a in REQUIRED_ATTRS if a not in attrs]
                    if missing:
                        raise TypeError("%s is missing %s" % (cls_name, ", ".join(missing)))
                cls = type.__new__(mcls, cls_name, bases, attrs)
                if bases:
                    TOOLS[attrs["name"]] = cls
                return cls

        class Tool(metaclass=ToolMeta):
            pass

        class Calculator(Tool):
            name = "calculator"

            def run(self, expression: str) -> float:
                return 0.0
        """,
    ),
    Snippet(
        "meta-user-tool-registry-advice-only",
        "user",
        False,
        """
        TOOLS = {}

        class ToolMeta(type):
            def __new__(mcls, cls_name, bases, attrs):
                cls = super().__new__(mcls, cls_name, bases, attrs)
                if bases:
                    TOOLS[attrs["name"]] = cls
                return cls

        class Tool(metaclass=ToolMeta):
            pass

        class Calculator(Tool):
            name = "calculator tool"

            def run(self, expression) -> float:
                return 0.0
        """,
        advice=("AGT201", "AGT210", "AGT214"),
    ),
    Snippet(
        "init-subclass-valid",
        "user",
        False,
        """
        REQUIRED = ("name", "description")

        class Handler:
            registry = {}

            def __init_subclass__(cls, *, event=None, **kwargs):
                super().__init_subclass__(**kwargs)
                if event is None:
                    raise TypeError(f"{cls.__name__} needs event=")
                for attr in REQUIRED:
                    if not hasattr(cls, attr):
                        raise TypeError(f"{cls.__name__} lacks {attr}")
                cls.registry[event] = cls

        class Named:
            name = "named"
            description = "Has a name and a description."

        class OnStart(Named, Handler, event="start"):
            pass
        """,
    ),
    Snippet(
        "init-subclass-missing-keyword",
        "user",
        True,
        """
        class Handler:
            registry = {}

            def __init_subclass__(cls, *, event=None, **kwargs):
                super().__init_subclass__(**kwargs)
                if event is None:
                    raise TypeError(f"{cls.__name__} needs event=")
                cls.registry[event] = cls

        class OnStop(Handler):
            pass
        """,
    ),
    Snippet(
        "init-subclass-hasattr-loop",
        "user",
        True,
        """
        REQUIRED = ("name", "description")

        class Handler:
            registry = {}

            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                for attr in REQUIRED:
                    if not hasattr(cls, attr):
                        raise TypeError(f"{cls.__name__} lacks {attr!r}")
                cls.registry[cls.name] = cls

        class OnStart(Handler):
            name = "start"
        """,
    ),
    Snippet(
        "init-subclass-reads-missing-attribute",
        "user",
        True,
        """
        AGENTS = {}

        class AgentBase:
            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                AGENTS[cls.agent_name] = cls

        class Planner(AgentBase):
            role = "planner"
        """,
    ),
    Snippet(
        "init-subclass-assert",
        "user",
        True,
        """
        class Step:
            steps = []

            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                assert "run" in cls.__dict__, f"{cls.__name__} must implement run"
                cls.steps.append(cls)

        class Fetch(Step):
            pass
        """,
    ),
    Snippet(
        "init-subclass-inherited-ok",
        "user",
        False,
        """
        class Step:
            steps = []

            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                if not getattr(cls, "run", None):
                    raise TypeError(f"{cls.__name__} must implement run")
                cls.steps.append(cls)

        class Base(Step):
            def run(self) -> None:
                return None

        class Fetch(Base):
            pass
        """,
    ),
]


def _import_all(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Import every snippet in one child process, re-importing the runtime before each."""
    for index, snippet in enumerate(SNIPPETS):
        (tmp_path / f"parity_snippet_{index}.py").write_text(snippet.source, encoding="utf-8")
    program = textwrap.dedent(
        """
        import importlib, json, sys
        sys.path.insert(0, sys.argv[1])
        outcomes = {}
        for index in range(int(sys.argv[2])):
            for loaded in [m for m in sys.modules if m.startswith("agentsense.runtime")]:
                del sys.modules[loaded]  # fresh registries for every snippet
            name = f"parity_snippet_{index}"
            try:
                importlib.import_module(name)
                outcomes[name] = {"ok": True}
            except Exception as error:
                outcomes[name] = {
                    "ok": False,
                    "type": type(error).__name__,
                    "message": str(error),
                    "problems": [p.message for p in getattr(error, "problems", [])],
                }
        print(json.dumps(outcomes))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path), str(len(SNIPPETS))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    outcomes: dict[str, dict[str, Any]] = json.loads(completed.stdout)
    return outcomes


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return _import_all(tmp_path_factory.mktemp("parity"))


def _lint(snippet: Snippet) -> list[Finding]:
    return lint_with(snippet.source, REGISTRATION_CODES)


@pytest.mark.parametrize(
    ("index", "snippet"), list(enumerate(SNIPPETS)), ids=[s.id for s in SNIPPETS]
)
def test_linter_verdict_equals_import(
    imported: dict[str, dict[str, Any]], index: int, snippet: Snippet
) -> None:
    outcome = imported[f"parity_snippet_{index}"]
    assert outcome["ok"] is (not snippet.refused), outcome  # the table says what happens
    findings = _lint(snippet)
    refusing = [f for f in findings if f.code in REFUSING_CODES[snippet.registry]]
    assert bool(refusing) == snippet.refused, findings
    others = sorted({f.code for f in findings} - {f.code for f in refusing})
    assert others == sorted(snippet.advice), findings
    if not snippet.refused or not snippet.same_message:
        return
    exact = sorted(f.message for f in refusing if f.code in EXACT_MESSAGE_CODES)
    if outcome["type"] in ("ContractError", "DuplicateToolError"):
        duplicates = [f for f in refusing if f.code == "AGT212"]
        if duplicates:
            # DuplicateToolError: one site's message carries the runtime's text verbatim.
            [message] = outcome["problems"]
            assert any(message in f.message for f in duplicates), (message, duplicates)
            assert exact == []
        else:
            assert exact == sorted(outcome["problems"])
    else:
        assert exact == [outcome["message"]], (outcome, findings)


def test_table_covers_both_verdicts_for_every_mechanism() -> None:
    covered = {(s.registry, s.refused) for s in SNIPPETS}
    assert covered == {("runtime", True), ("runtime", False), ("user", True), ("user", False)}
    codes = {f.code for s in SNIPPETS if s.refused for f in _lint(s)}
    assert {"AGT210", "AGT211", "AGT212", "AGT214", "AGT215", "AGT216"} <= codes


def test_linting_imports_nothing() -> None:
    for snippet in SNIPPETS:
        _lint(snippet)
    assert not [name for name in sys.modules if name.startswith("parity_snippet_")]
