"""AGT212: two registrations under one name in the same registry, in one file or across files."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import PurePath

import libcst as cst

from agentsense.analyzers.detect.registrations import (
    Kind,
    Registration,
    kind_label,
    registrations_of,
    registry_label,
    runtime_duplicate_message,
)
from agentsense.analyzers.model import RelatedLocation
from agentsense.analyzers.project_model import (
    GLOBAL_REGISTRIES,
    Project,
    ProjectReport,
    RegistrationSummary,
)
from agentsense.analyzers.rule import Clean, Flagged, Rule

# The other registrations a finding points to (and names, across files); the rest are
# counted. A name registered in N places must not give N findings of N locations each.
MAX_RELATED = 3


def duplicate_groups(registrations: tuple[Registration, ...]) -> list[list[Registration]]:
    """Registrations that take the same name in the same registry, in source order."""
    groups: dict[tuple[str, str], list[Registration]] = defaultdict(list)
    for reg in registrations:
        name = reg.name
        if reg.registry is None or name is None or not reg.registers:
            continue
        groups[(reg.registry, name)].append(reg)
    return [group for group in groups.values() if len(group) > 1]


def _version(reg: Registration) -> str | None:
    """The `version=` a decorator gives the tool (FastMCP keeps each version of a name)."""
    definition = reg.definition
    if not isinstance(definition, cst.FunctionDef):
        return None
    for decorator in definition.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "version":
                    return cst.Module([]).code_for_node(arg.value)
    return None


def clashes(reg: Registration, group: list[Registration]) -> list[Registration]:
    """The others of its group that can run together with it (not `if`/`else` alternatives,
    not another function's body, not another `version=` of the same name)."""
    version = _version(reg)
    return [
        other
        for other in group
        if other is not reg
        and not reg.exclusive_with(other)
        and (version is None or _version(other) in (None, version))
    ]


def in_file_message(reg: Registration, first: bool) -> str:
    """The message on one of several same-file registrations of a name."""
    assert reg.registry is not None and reg.name is not None
    what = f"{kind_label(reg.kind, reg.registry)} {reg.name!r}"
    label = registry_label(reg.registry)
    if reg.source.startswith("runtime-"):
        if first:
            when = "when this code runs" if reg.in_function else "when this module is imported"
            return (
                f"{what} is registered again below; the runtime refuses the second "
                f"registration {when}"
            )
        action = "running this code" if reg.in_function else "importing this module"
        return (
            f"{runtime_duplicate_message(reg.kind, reg.name)} (above): {action} raises "
            "ContractError"
        )
    if reg.refuses_duplicates:
        where = "again below" if first else "already above"
        return f"{what} is registered {where} in {label}, which raises on a name already taken"
    if first:
        return f"{what} is registered again below in {label}, which keeps only one of them"
    return f"{what} is already registered above in {label}, which keeps only one of them"


def cross_file_message(
    site: RegistrationSummary, named: Sequence[RegistrationSummary], others: int
) -> str:
    """The message on one site of a name registered in several files: the first `named` of
    the `others` sites elsewhere by file name and row, the rest as a count."""
    kind: Kind = "agent" if site.kind == "agent" else "tool"
    what = f"{kind_label(kind, site.registry)} {site.name!r}"
    # File names only: outputs show paths relative to where they run; related locations
    # carry the full ones.
    where = ", ".join(f"{PurePath(other.path).name}:{other.span.start.row}" for other in named)
    if others > len(named):
        more = others - len(named)
        where += f" and {more} other place{'s' if more > 1 else ''}"
    if site.registry in GLOBAL_REGISTRIES:
        modules = "both modules" if others == 1 else "two of these modules"
        runtime = runtime_duplicate_message(kind, site.name)
        return f'{what} is also registered in {where}; importing {modules} raises "{runtime}"'
    label = registry_label(site.registry)
    if site.refuses_duplicates:
        return f"{what} is also registered in {where}; {label} raises on a name already taken"
    return f"{what} is also registered in {where}; {label} keeps only one of them"


def _first_elsewhere(
    sites: Sequence[RegistrationSummary], path: str, limit: int
) -> list[RegistrationSummary]:
    """The first `limit` sites not in `path` (the caller knows `path` holds one site, so
    this reads at most `limit + 1` of them)."""
    found: list[RegistrationSummary] = []
    for other in sites:
        if other.path != path:
            found.append(other)
            if len(found) == limit:
                break
    return found


class DuplicateToolName(Rule):
    code = "AGT212"
    name = "duplicate-tool-name"
    summary = "Two registrations take the same tool name in one registry."
    rationale = (
        "Tools are looked up by name. With two registrations under one name, a registry "
        "either refuses the second at import (the reference runtime raises "
        "`tool 'x' is already registered`) or keeps one and silently drops the other, so the "
        "model calls code nobody meant it to. Every registration is reported, pointing to the "
        "others (the first three; more are counted). `agentsense check` and the editor also "
        "find duplicates across the files of the project; the reference runtime's `@tool` functions and `BaseTool` classes share one "
        "namespace. Registrations the registry refuses for another reason take no name; "
        "alternatives (`if`/`else`, `try`/`except`) and registrations in different functions "
        "(which run only when each is called) are not duplicates."
    )
    flagged = (
        Flagged(
            '''
            from agentsense.runtime.registry import tool

            @tool(name="search")
            def search_web(query: str) -> list[str]:
                """Search the web."""
                return []

            @tool(name="search")
            def search_docs(query: str) -> list[str]:
                """Search the documentation."""
                return []
            ''',
            line=3,
            column=12,
            count=2,
            message="tool 'search' is registered again below",
        ),
        Flagged(
            '''
            from agentsense.runtime.registry import BaseTool, tool

            @tool
            def fetch(url: str) -> str:
                """Fetch a URL."""
                return url

            class Fetcher(BaseTool):
                name = "fetch"
                description = "Fetch a URL with retries."

                def execute(self, url: str) -> str:
                    return url
            ''',
            line=4,
            count=2,
            message="the runtime refuses the second registration",
        ),
        Flagged(
            '''
            TOOLS = {}

            def register(name):
                def decorator(fn):
                    TOOLS[name] = fn
                    return fn
                return decorator

            @register("lookup")
            def lookup_user(user_id: int) -> dict:
                """Look up a user."""
                return {}

            @register("lookup")
            def lookup_order(order_id: int) -> dict:
                """Look up an order."""
                return {}
            ''',
            line=10,
            count=2,
            message="which keeps only one of them",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import Agent

            class Researcher(Agent, agent_type="research"):
                pass

            class DeepResearcher(Agent, agent_type="research"):
                pass
            """,
            line=3,
            count=2,
            message="agent type 'research'",
        ),
        Flagged(
            # A metaclass registry keyed by `namespace.get("name", ...)`, bases skipped by a dunder flag.
            """
            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Search(BaseTool):
                name = "search"


            class WebSearch(BaseTool):
                name = "search"
            """,
            line=17,
            message="registered again below in TOOLS",
            count=2,
        ),
        Flagged(
            # A class-decorator registry.
            """
            TOOLS = {}


            def register(cls):
                if not hasattr(cls, "execute"):
                    raise TypeError(f"{cls.__name__} must define execute")
                TOOLS[cls.tool_name] = cls
                return cls


            @register
            class Search:
                tool_name = "search"

                def execute(self, query: str) -> str:
                    return query


            @register
            class Lookup:
                tool_name = "search"

                def execute(self, query: str) -> str:
                    return query
            """,
            line=13,
            message="registered again below in TOOLS",
            count=2,
        ),
    )
    clean = (
        Clean(
            '''
            from agentsense.runtime.registry import tool

            @tool
            def search_web(query: str) -> list[str]:
                """Search the web."""
                return []

            @tool
            def search_docs(query: str) -> list[str]:
                """Search the documentation."""
                return []
            '''
        ),
        Clean(
            # A tool and an agent type live in different registries.
            '''
            from agentsense.runtime.registry import Agent, tool

            @tool
            def research(topic: str) -> str:
                """Research a topic."""
                return topic

            class Researcher(Agent, agent_type="research"):
                pass
            '''
        ),
        Clean(
            # Two MCP servers each have their own tools.
            '''
            from mcp.server.fastmcp import FastMCP

            notes = FastMCP("notes")
            todos = FastMCP("todos")

            @notes.tool()
            def add(text: str) -> str:
                """Add a note."""
                return text

            @todos.tool()
            def add(text: str) -> str:
                """Add a to-do item."""
                return text
            '''
        ),
        Clean(
            # Alternatives: only one branch runs. Tools made inside different functions
            # (tests, factories) are registered only when each runs.
            '''
            import sys

            from agentsense.runtime.registry import tool

            if sys.platform == "win32":
                @tool
                def shell(command: str) -> str:
                    """Run a command with cmd.exe."""
                    return command
            else:
                @tool
                def shell(command: str) -> str:
                    """Run a command with sh."""
                    return command

            def test_search_once() -> None:
                @tool(name="search")
                def search(query: str) -> str:
                    """Search."""
                    return query

            def test_search_again() -> None:
                @tool(name="search")
                def search_twice(query: str) -> str:
                    """Search."""
                    return query
            '''
        ),
        Clean(
            # FastMCP keeps every `version=` of a tool name.
            '''
            from fastmcp import FastMCP

            mcp = FastMCP("Versioned API")

            @mcp.tool(version="1.0")
            def calculate(x: int, y: int) -> int:
                """Add two numbers (v1.0)."""
                return x + y

            @mcp.tool(version="2.0")
            def calculate(x: int, y: int, z: int = 0) -> int:
                """Add two or three numbers (v2.0)."""
                return x + y + z
            '''
        ),
        Clean(
            # A list registry keys nothing by name.
            '''
            TOOLS = []

            def register(fn):
                TOOLS.append(fn)
                return fn

            @register
            def search(query: str) -> list[str]:
                """Search."""
                return []
            '''
        ),
        Clean(
            # The metaclass registry with two distinct names.
            """
            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Search(BaseTool):
                name = "search"


            class WebSearch(BaseTool):
                name = "web_search"
            """
        ),
        Clean(
            # The class-decorator registry with two distinct names.
            """
            TOOLS = {}


            def register(cls):
                if not hasattr(cls, "execute"):
                    raise TypeError(f"{cls.__name__} must define execute")
                TOOLS[cls.tool_name] = cls
                return cls


            @register
            class Search:
                tool_name = "search"

                def execute(self, query: str) -> str:
                    return query


            @register
            class Lookup:
                tool_name = "lookup"

                def execute(self, query: str) -> str:
                    return query
            """
        ),
    )

    def leave_Module(self, node: cst.Module) -> None:
        for group in duplicate_groups(registrations_of(self.context.facts)):
            for reg in group:
                others = clashes(reg, group)
                if not others:
                    continue
                first = group.index(others[0]) > group.index(reg)
                related = tuple(
                    (other.name_node, f"the other registration of {other.name!r}")
                    for other in others[:MAX_RELATED]
                )
                self.report(reg.name_node, in_file_message(reg, first), related=related)

    @classmethod
    def check_project(cls, project: Project) -> Iterator[ProjectReport]:
        """Each site of a name registered in more than one file, pointing to the first sites
        elsewhere. A site with a twin in its own file is left to that file's lint, which
        reports it pointing at the twin. Linear in the number of registrations."""
        for sites in project.registration_groups:
            per_file = Counter(site.path for site in sites)
            if len(per_file) < 2:
                continue
            for site in sites:
                if per_file[site.path] > 1:
                    continue
                named = _first_elsewhere(sites, site.path, MAX_RELATED)
                yield ProjectReport(
                    site.path,
                    site.span,
                    cross_file_message(site, named, len(sites) - 1),
                    related=tuple(
                        RelatedLocation(
                            other.path, other.span, f"the other registration of {other.name!r}"
                        )
                        for other in named
                    ),
                    noqa_row=site.noqa_row,
                )
