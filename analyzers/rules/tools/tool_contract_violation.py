"""AGT211: a registration that the registry it targets would refuse at import time."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from agentsense.analyzers.detect.frameworks import mcp
from agentsense.analyzers.detect.frameworks.versions import declared_major
from agentsense.analyzers.detect.registrations import Registration
from agentsense.analyzers.model import Severity
from agentsense.analyzers.rule import Clean, Flagged
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule


def _may_be_removed(name: cst.Attribute | cst.Name) -> bool:
    """Whether a module name's text may start with the removed module's: its first name is
    the package's (`mcp`). The text is rendered only then (most imports are of others)."""
    head: cst.BaseExpression = name
    while type(head) is cst.Attribute:
        head = head.value
    return isinstance(head, cst.Name) and head.value == mcp.REMOVED_IN_2.partition(".")[0]


class ToolContractViolation(RegistrationRule):
    code = "AGT211"
    name = "tool-contract-violation"
    summary = "The registry this tool or agent targets refuses it when the module is imported."
    rationale = (
        "Registries validate at import time: the reference runtime's `ToolMeta` needs `name`, "
        "`description` and a concrete `execute`; a name must be a string; `@tool` takes only "
        "`name=` and `description=`; a concrete `Agent` subclass must give its own type "
        "(`agent_type=` or `agent_type = ...`), a non-empty string; MCP's "
        "`@mcp.tool` must be called. An import of `mcp.server.fastmcp` in a project that "
        "declares mcp 2.x (pyproject `dependencies`, requirements files, `uv.lock`, "
        "`poetry.lock`) fails: mcp 2.x renamed FastMCP to MCPServer. A registration that "
        "breaks this contract makes the whole "
        "module fail to import, usually far from the line at fault and only when the agent "
        "starts. The linter builds the same ToolSpec from the source and asks the runtime's "
        "own contract model, so the message is the one the import would raise. A name the "
        "linter cannot evaluate statically (a call, an imported constant) is not flagged. "
        "Contracts that a user-defined metaclass or `__init_subclass__` enforces are AGT216."
    )
    severity: ClassVar[Severity] = Severity.ERROR
    # What the contract refuses that no narrower rule (AGT210, AGT214, AGT215) claims.
    reports_unclaimed_problems = True
    flagged = (
        Flagged(
            '''
            from agentsense.runtime.registry import BaseTool

            class Fetch(BaseTool):
                """Fetch a URL."""

                name = "fetch"

                def execute(self, url: str) -> str:
                    return url
            ''',
            line=3,
            column=7,
            message="tool class 'Fetch' is missing required attribute 'description'",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import BaseTool

            class Summarise(BaseTool):
                name = "summarise"
                description = "Summarise a document."

                def run(self, text: str) -> str:
                    return text[:100]
            """,
            line=3,
            message="tool class 'Summarise' is missing required attribute 'execute'",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import BaseTool

            class Search(BaseTool):
                name = "search",
                description = "Search the web."

                def execute(self, query: str) -> list[str]:
                    return []
            """,
            line=4,
            column=12,
            message="tool name must be a string, got tuple",
        ),
        Flagged(
            '''
            from agentsense.runtime.registry import tool

            @tool(name="search", schema={"query": {"type": "string"}})
            def search(query: str) -> list[str]:
                """Search the web."""
                return []
            ''',
            line=3,
            message="tool() got an unexpected keyword argument 'schema'",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import Agent

            class Researcher(Agent, agent_type=""):
                pass
            """,
            line=3,
            message="agent class 'Researcher': agent_type must be a non-empty string",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import Agent

            class Researcher(Agent):
                def run(self, task: str) -> str:
                    return task
            """,
            line=3,
            column=7,
            message="agent class 'Researcher': no agent_type",
        ),
        Flagged(
            '''
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("notes")

            @mcp.tool
            def add_note(text: str) -> str:
                """Add a note."""
                return text
            ''',
            line=6,
            message="Did you forget to call it?",
        ),
    )
    clean = (
        # A name read from a `str` Enum member (`.value`): not known statically, not wrong.
        Clean(
            """
            from enum import Enum
            from mcp.server.fastmcp import FastMCP

            server = FastMCP("git")

            class GitTools(str, Enum):
                STATUS = "git_status"

            @server.tool(name=GitTools.STATUS.value, description="Shows the working tree status")
            def status(repo_path: str) -> str:
                return repo_path
            """
        ),
        Clean(
            """
            from agentsense.runtime.registry import BaseTool

            class Fetch(BaseTool):
                name = "fetch"
                description = "Fetch a URL."

                def execute(self, url: str) -> str:
                    return url
            """
        ),
        Clean(
            # Intermediate bases: `abstract = True`, or neither name nor description with
            # execute still abstract; the runtime does not register them.
            """
            from agentsense.runtime.registry import BaseTool

            class HttpTool(BaseTool):
                abstract = True
                timeout = 10

            class CachedTool(BaseTool):
                cache_size = 128

            class Fetch(HttpTool):
                name = "fetch"
                description = "Fetch a URL."

                def execute(self, url: str) -> str:
                    return url
            """
        ),
        Clean(
            # `description` may come from a base the linter cannot see: not flagged.
            """
            from agentsense.runtime.registry import BaseTool
            from mytools.mixins import Described

            class Fetch(Described, BaseTool):
                name = "fetch"

                def execute(self, url: str) -> str:
                    return url
            """
        ),
        Clean(
            # A computed name is not evaluated, so not judged.
            """
            from agentsense.runtime.registry import BaseTool
            from mytools.naming import tool_name

            class Fetch(BaseTool):
                name = tool_name("fetch")
                description = "Fetch a URL."

                def execute(self, url: str) -> str:
                    return url
            """
        ),
        Clean(
            """
            from agentsense.runtime.registry import Agent

            class BaseResearcher(Agent):
                abstract = True

            class Researcher(BaseResearcher, agent_type="researcher"):
                pass

            class ChainOfThought(BaseResearcher):
                agent_type = "cot"
            """
        ),
        Clean(
            '''
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("notes")

            @mcp.tool()
            def add_note(text: str) -> str:
                """Add a note."""
                return text
            '''
        ),
        Clean(
            # Names and descriptions from enum members (`.value`, `.name`).
            '''
            from enum import Enum

            from mcp.server.fastmcp import FastMCP


            class GitTools(str, Enum):
                STATUS = "git_status"
                DIFF = "git_diff"


            server = FastMCP("git")


            @server.tool(name=GitTools.STATUS.value)
            def status(repo_path: str) -> str:
                """Show the working tree status."""
                return repo_path


            @server.tool(name=GitTools.DIFF.value, description=GitTools.DIFF.name.lower())
            def diff(repo_path: str) -> str:
                return repo_path
            '''
        ),
    )

    def _removed_module(self, node: cst.CSTNode, module: str) -> None:
        """An import of a module the project's declared framework version no longer has."""
        if module != mcp.REMOVED_IN_2 and not module.startswith(mcp.REMOVED_IN_2 + "."):
            return
        declared = declared_major(self.context.path, "mcp")
        if declared is None or declared.major < 2:
            return  # mcp 1.x has it; undeclared: it fails in only one supported version
        self.report(
            node,
            f"MCP 2.x ({declared.source}) raises ModuleNotFoundError at import: No module "
            f"named {mcp.REMOVED_IN_2!r} (FastMCP was renamed MCPServer: "
            "from mcp.server.mcpserver import MCPServer)",
        )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative and _may_be_removed(node.module):
            name = cst.Module([]).code_for_node(node.module)
            self._removed_module(node.module, name)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if _may_be_removed(alias.name):
                self._removed_module(alias.name, cst.Module([]).code_for_node(alias.name))

    def check(self, reg: Registration) -> None:
        for problem in reg.problems:
            if problem.origin == "registry":
                self.report(problem.node, problem.message, related=problem.related)
        for contract_problem in self.contract_problems(reg):
            self.report(
                self.problem_node(reg, contract_problem), reg.message(contract_problem.message)
            )
